#include "formats/tuning_record.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace micronet {

namespace {

// A whole decimal int: "2:junk", "", "1e3" and out-of-range values are not.
bool parse_int(const std::string& s, int& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < INT_MIN || v > INT_MAX || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  out = int(v);
  return true;
}

}  // namespace

std::optional<TuningLine> parse_tuning_line(const std::string& line, const std::string& file, int line_no) {
  std::istringstream words(line);
  TuningLine r;
  if (!(words >> r.family) || r.family[0] == '#') return std::nullopt;
  const std::string where = file + ":" + std::to_string(line_no) + ": ";
  if (!(words >> r.kernel)) throw std::invalid_argument(where + "a record needs `<family> <kernel> knob=value ...`, got '" + line + "'");
  std::string kv;
  while (words >> kv) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument(where + "'" + kv + "' is not knob=value");
    const std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (name == "autoscheduler") {
      if (value.empty()) throw std::invalid_argument(where + "autoscheduler= names no autoscheduler");
      r.autoscheduler = value;
      continue;
    }
    int v = 0;
    if (!parse_int(value, v)) throw std::invalid_argument(where + "knob " + name + "=" + value + " is not an integer");
    r.knobs[name] = v;
  }
  if (!r.autoscheduler.empty() && !r.knobs.empty())
    throw std::invalid_argument(where + "a record names either knobs or an autoscheduler, not both");
  r.text = line;
  r.line_no = line_no;
  return r;
}

std::vector<TuningLine> read_tuning_lines(const std::string& path) {
  std::vector<TuningLine> out;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return out;
    throw std::invalid_argument(path + ": cannot be read: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw std::invalid_argument(path + ": not a regular file");
  std::ifstream f(path);
  if (!f) throw std::invalid_argument(path + ": cannot be read: " + std::strerror(errno));
  std::string line;
  int line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (std::optional<TuningLine> r = parse_tuning_line(line, path, line_no)) out.push_back(std::move(*r));
  }
  if (f.bad()) throw std::invalid_argument(path + ": read error");
  return out;
}

std::string tuning_words(const TuningLine& line) {
  if (!line.autoscheduler.empty()) return "autoscheduler=" + line.autoscheduler;
  std::string s;
  for (const auto& [k, v] : line.knobs) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return s;
}

}  // namespace micronet
