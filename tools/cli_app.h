// The `micronet` command line, defined once with CLI11: every subcommand, its flags, their
// types, ranges, defaults and help texts. Both executables (the lean `micronet` and
// `micronet-full`) parse with this definition, so help, validation and errors are the same
// whichever of them runs a command.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/cli_options.h"

namespace CLI {
class App;
}

namespace micronet::cli {

// The app, with every flag bound to a field of `args` (which must outlive it).
std::unique_ptr<CLI::App> make_cli_app(CliArgs& args);

// The subcommand names, in the order `micronet --help` lists them.
const std::vector<std::string>& command_names();

// Parses argv into `args`. Returns -1 when a command should run, else the exit code after
// printing what the user asked for or the error: 0 for --help / --version / `help CMD`,
// 2 for a usage error (with a "did you mean" hint for a misspelt command or flag).
int parse_command_line(int argc, char** argv, CliArgs& args);

}  // namespace micronet::cli
