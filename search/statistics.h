// Figures of the predictor validation (search_main.cpp --validate).
#pragma once

#include <vector>

namespace micronet::search {

// Spearman rank correlation (ties get their average rank); 0 for fewer than 2 points.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

struct ErrorSummary {
  int n = 0;
  double within5 = 0, within10 = 0;       // shares (0..1) with |pred/meas - 1| <= 5 % / 10 %
  double mean_abs_pct = 0, mean_pct = 0;  // mean |error| and mean signed error, in percent
  double max_abs_pct = 0;
  double spearman = 0;
};

ErrorSummary summarize_errors(const std::vector<double>& predicted, const std::vector<double>& measured);

}  // namespace micronet::search
