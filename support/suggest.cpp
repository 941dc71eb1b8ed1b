#include "support/suggest.h"

#include <algorithm>
#include <cctype>

namespace micronet {

int edit_distance(const std::string& a, const std::string& b) {
  auto low = [](char c) { return char(std::tolower(static_cast<unsigned char>(c))); };
  const size_t n = a.size(), m = b.size();
  // d[i][j]: distance between the first i characters of a and the first j of b.
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = int(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = int(j);
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      const int cost = low(a[i - 1]) == low(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && low(a[i - 1]) == low(b[j - 2]) && low(a[i - 2]) == low(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  // Leading dashes say nothing about which flag was meant.
  auto core = [](const std::string& s) { return s.substr(std::min(s.find_first_not_of('-'), s.size())); };
  const std::string w = core(word);
  const int limit = std::clamp(int(w.size()) / 3, 1, 3);
  std::string best;
  int best_d = limit + 1;
  bool tie = false;
  for (const std::string& c : candidates) {
    const int d = edit_distance(w, core(c));
    if (d < best_d) best = c, best_d = d, tie = false;
    else if (d == best_d && c != best) tie = true;
  }
  if (best_d <= limit && !tie) return best;
  // A flag cut short ("--latency" for "--latency-ms") is further than a typo from its name
  // but names it as plainly, when only one candidate begins with it.
  if (w.size() < 3) return "";
  std::string prefixed;
  for (const std::string& c : candidates) {
    const std::string cc = core(c);
    if (cc.size() > w.size() && std::equal(w.begin(), w.end(), cc.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
        })) {
      if (!prefixed.empty() && prefixed != c) return "";
      prefixed = c;
    }
  }
  return prefixed;
}

std::string unknown_flag_hints(const std::vector<std::string>& known, const std::vector<std::string>& args) {
  std::string hints;
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    const std::string a = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), a) != known.end()) continue;
    const std::string m = closest_match(a, known);
    hints += "\n  unknown flag " + a + (m.empty() ? "" : " (did you mean " + m + "?)");
  }
  return hints;
}

}  // namespace micronet
