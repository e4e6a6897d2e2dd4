// The wrun subcommands. Each returns the process exit code; errors are thrown as wrun::Error.
#pragma once

namespace wrun::tools {

int cmd_info(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_mel(int argc, char** argv);
int cmd_transcribe(int argc, char** argv);
int cmd_eval(int argc, char** argv);

}  // namespace wrun::tools
