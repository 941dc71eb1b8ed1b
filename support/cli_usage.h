// Usage errors as every `micronet` executable prints them: the lean CLI (tools/cli_app.cpp)
// and the commands that are executables of their own (micronet-tune, micronet-compile,
// micronet-search) or are run by one (micronet-measure). One rule for all of them
// (docs/cli.md): exit 2, the command's name first, a "did you mean" for a misspelt flag, and
// where to find the flags:
//
//   micronet tune: unknown flag --budjet (did you mean --budget?)
//   run `micronet help tune` for its flags
//
// CLI11 alone exits 105..109 with "Run with --help for more information." and no name.
// Header-only, as CLI11 is: only the executables that parse with it include this.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "support/suggest.h"

namespace micronet {

// Prints "COMMAND: MESSAGE" and the pointer to the command's help; returns 2, the exit code
// of a usage error.
inline int print_usage_error(const std::string& command, const std::string& message, const std::string& help_hint) {
  std::cerr << command << ": " << message << "\n" << help_hint << "\n";
  return 2;
}

// The long flags `app` accepts, with their dashes ("--budget", "--help").
inline std::vector<std::string> long_flag_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options())
    for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
  return names;
}

// Parses argv with `app`. Returns -1 when the command should run, else the exit code after
// printing what was asked for or what is wrong: 0 for --help, 2 for a usage error. An unknown
// flag is reported before CLI11's own complaint, which it usually explains ("--out is
// required" after "--otu DIR").
inline int parse_or_usage_error(CLI::App& app, int argc, char** argv, const std::string& command,
                                const std::string& help_hint) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string hints =
        unknown_flag_hints(long_flag_names(app), std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
    return print_usage_error(command, hints.empty() ? std::string(e.what()) : hints.substr(3), help_hint);
  }
}

}  // namespace micronet
