// SPDX-License-Identifier: Apache-2.0
// The policy language described for tools: a JSON Schema (draft 2020-12) of the YAML file, for
// editor completion and checks, and the fully commented template. A test feeds the template
// through both the loader and the schema so neither drifts from the other.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace pb {

// JSON Schema of a policy file. Structure, types, vocabularies and ranges; the cross-field rules
// (contradictions, acknowledge_risk) are the loader's, and the schema's description says so.
nlohmann::json policyJsonSchema();

// policy/examples/template.yaml: every key with a comment; it loads.
std::string_view policyTemplateYaml();

}  // namespace pb
