// main() of both `micronet` executables: parse with the one CLI definition (tools/cli_app.h),
// then run the command (tools/dispatch_*.cpp: the lean build hands some to micronet-full).
// Exit codes: 0 success, 1 runtime error (bad file, out of memory, ...), 2 usage error.
#include <iostream>
#include <new>

#include "tools/activity.h"
#include "tools/cli_app.h"
#include "tools/commands.h"
#include "tools/full_binary.h"
#include "tools/usage_error.h"

int main(int argc, char** argv) {
  using namespace micronet::cli;
  CliArgs args;
  if (const std::string helper = helper_command(argc, argv); !helper.empty()) {
    try {
      exec_helper_command(helper, argc, argv);
    } catch (const std::exception& e) {
      std::cerr << "micronet " << helper << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  const int rc = parse_command_line(argc, argv, args);
  if (rc >= 0) return rc;
  const std::string who = "micronet " + args.command;
  try {
    return run_command(args, argc, argv);
  } catch (const UsageError& e) {
    std::cerr << who << ": " << e.what() << "\nrun `micronet help " << args.command << "` for its flags\n";
    return 2;
  } catch (const std::bad_alloc&) {
    const std::string& doing = Activity::current();
    std::cerr << who << ": error: out of memory" << (doing.empty() ? "" : " while " + doing) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << who << ": error: " << e.what() << "\n";
    return 1;
  }
}
