// SPDX-License-Identifier: Apache-2.0
// The policy a session runs under. Sessions take a shared_ptr at their start, so a reload never
// changes the rules half-way through a device.
#pragma once

#include <memory>
#include <string>

#include "admission/admission.hpp"
#include "policy/policy.hpp"

namespace pb {

struct PolicySnapshot {
  Policy policy;
  std::string hash;
  AdmissionRules admission;
};

std::shared_ptr<const PolicySnapshot> makePolicySnapshot(Policy policy);

}  // namespace pb
