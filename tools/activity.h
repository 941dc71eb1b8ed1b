// What a command is doing right now, so that main() can say "out of memory while decoding
// photo.jpg" instead of printing a bare std::bad_alloc.
#pragma once

#include <string>

namespace micronet::cli {

// Sets the current activity for the guard's lifetime. When the scope is left by an
// exception the text stays, so the handler in main() still sees where it happened.
class Activity {
 public:
  explicit Activity(std::string what);
  ~Activity();
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  // "" when no guard is alive.
  static const std::string& current();

 private:
  std::string previous_;
  int uncaught_;
};

}  // namespace micronet::cli
