// A small command-line parser: positional arguments and --flags (with values or boolean).
// Unknown flags and missing values are errors naming the flag.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace micronet::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // `value_flags` take a value (--name V or --name=V); `bool_flags` take none.
  Args(int argc, char** argv, int first, const std::set<std::string>& value_flags,
       const std::set<std::string>& bool_flags);
  bool has(const std::string& flag) const { return values_.count(flag) || bools_.count(flag); }
  std::string get(const std::string& flag, const std::string& def = "") const;
  std::string require(const std::string& flag) const;
  int get_int(const std::string& flag, int def) const;
  double get_double(const std::string& flag, double def) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> bools_;
  std::vector<std::string> positional_;
};

}  // namespace micronet::cli
