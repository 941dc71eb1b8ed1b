// Commands left out of a build without OpenCV / zlib (the aarch64 cross build): they exist
// so the command line is the same everywhere, and say why they cannot run.
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace micronet::cli {

namespace {
[[noreturn]] void unavailable(const char* cmd, const char* needs) {
  throw UsageError(std::string("this build has no ") + needs + " (e.g. the aarch64 cross build): `" +
                   cmd + "` is not available; run it on the host build");
}
}  // namespace

int cmd_convert(int, char**) { unavailable("convert", "zlib (checkpoint import)"); }
int cmd_classify(int, char**) { unavailable("classify", "OpenCV"); }
int cmd_eval(int, char**) { unavailable("eval", "OpenCV / zlib (datasets)"); }

}  // namespace micronet::cli
