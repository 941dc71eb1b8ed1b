#include "tools/activity.h"

#include <exception>
#include <utility>

namespace micronet::cli {

namespace {
std::string& slot() {
  static std::string current;
  return current;
}
}  // namespace

Activity::Activity(std::string what) : previous_(std::move(what)), uncaught_(std::uncaught_exceptions()) {
  std::swap(previous_, slot());
}

Activity::~Activity() {
  if (std::uncaught_exceptions() == uncaught_) slot() = std::move(previous_);
}

const std::string& Activity::current() { return slot(); }

}  // namespace micronet::cli
