#include "search/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace micronet::search {

namespace {
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (double(i) + double(j)) / 2.0 + 1.0;
    i = j + 1;
  }
  return r;
}
}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("spearman: sizes differ");
  if (a.size() < 2) return 0;
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = double(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

ErrorSummary summarize_errors(const std::vector<double>& predicted, const std::vector<double>& measured) {
  if (predicted.size() != measured.size()) throw std::invalid_argument("summarize_errors: sizes differ");
  ErrorSummary s;
  s.n = int(predicted.size());
  if (s.n == 0) return s;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double e = 100.0 * (predicted[i] / measured[i] - 1.0);
    s.within5 += std::abs(e) <= 5.0;
    s.within10 += std::abs(e) <= 10.0;
    s.mean_abs_pct += std::abs(e);
    s.mean_pct += e;
    s.max_abs_pct = std::max(s.max_abs_pct, std::abs(e));
  }
  s.within5 /= s.n;
  s.within10 /= s.n;
  s.mean_abs_pct /= s.n;
  s.mean_pct /= s.n;
  s.spearman = spearman(predicted, measured);
  return s;
}

}  // namespace micronet::search
