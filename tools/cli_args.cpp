#include "tools/cli_args.h"

#include <cstdlib>

namespace micronet::cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& value_flags,
           const std::set<std::string>& bool_flags) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (bool_flags.count(name) && !inline_value) {
      bools_.insert(name);
    } else if (value_flags.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError("flag --" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw UsageError("unknown flag --" + name);
    }
  }
}

std::string Args::get(const std::string& flag, const std::string& def) const {
  auto it = values_.find(flag);
  return it == values_.end() ? def : it->second;
}

std::string Args::require(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) throw UsageError("missing required flag --" + flag);
  return it->second;
}

int Args::get_int(const std::string& flag, int def) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return def;
  try {
    size_t used = 0;
    const int v = std::stoi(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument("trailing characters");
    return v;
  } catch (const std::exception&) {
    throw UsageError("flag --" + flag + " expects an integer, got '" + it->second + "'");
  }
}

double Args::get_double(const std::string& flag, double def) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return def;
  char* end = nullptr;
  const double x = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0')
    throw UsageError("flag --" + flag + " expects a number, got '" + it->second + "'");
  return x;
}

}  // namespace micronet::cli
