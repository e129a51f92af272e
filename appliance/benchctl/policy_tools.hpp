// SPDX-License-Identifier: Apache-2.0
// benchctl's offline policy tools: validate, template, schema, keygen, sign. They run on an
// admin's workstation without a benchd; they touch only the files named on the command line.
#pragma once

#include <string>

#include "benchctl/cli.hpp"

namespace pb {

struct ToolOutput {
  int exitCode = 0;  // 0 ok, 1 the check or the operation failed
  std::string out;   // for stdout
  std::string err;   // for stderr
};

ToolOutput runPolicyTool(const Invocation& inv);

}  // namespace pb
