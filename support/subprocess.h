// Runs a command (argv, no shell) with its output captured to a file and a wall-clock
// limit: the compile steps of the tuner and the --runner commands.
#pragma once

#include <string>
#include <vector>

namespace micronet {

struct ProcessResult {
  int exit_code = -1;        // -1 when killed or not started
  bool timed_out = false;
  std::string output;        // stdout + stderr (tail, at most ~16 KB)
  std::string start_error;   // why it could not start ("" if it did)
};

ProcessResult run_process(const std::vector<std::string>& argv, int timeout_s,
                          const std::string& log_path);

}  // namespace micronet
