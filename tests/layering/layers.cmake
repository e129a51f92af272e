# SPDX-License-Identifier: Apache-2.0
# The intended dependency order of the source tree (drawn in appliance/README.md, "Layers"),
# checked by check_layering.cmake. One entry per module: its folder (longest match wins) and the
# modules its files may include directly. "module:path" allows one header of a module only.
# Programs (benchd, benchctl, agent, sim) compose everything: "*".
set(PB_LAYER_MODULES
    "core|appliance/core|"
    "yaml|appliance/yaml|core"
    "facts|appliance/facts|core"
    "identity|appliance/admission/identity|core"
    "policy|policy|core,yaml,facts"
    "protocol|appliance/protocol|core,facts"
    "mei|drivers/mei|core"
    "tpm|drivers/tpm|core"
    "sysfs|drivers/sysfs|core,facts"
    "amt|drivers/amt|core,mei,yaml"
    "net|drivers/net|core,amt,protocol:appliance/protocol/frame.hpp"
    "registry|appliance/registry|core,yaml,identity"
    "store|appliance/store|core,identity,registry:appliance/registry/registry_row.hpp"
    "admission|appliance/admission|core,identity,facts,store"
    "config|appliance/config|core,yaml"
    "keys|appliance/keys|core,net"
    "provcert|appliance/provcert|core"
    "session|appliance/session|core,facts,identity,admission,store,protocol,net,policy"
    "checks|appliance/checks|core,facts,session,store,policy,protocol,amt"
    "attest|appliance/attest|core,facts,policy,protocol,session"
    "platcert|appliance/platcert|core,attest:appliance/attest/ek_cert.hpp"
    "admin|appliance/admin|core,identity,registry,store"
    "kiosk|appliance/kiosk|core,store,policy"
    "agent|appliance/agent|*"
    "benchd|appliance/benchd|*"
    "benchctl|appliance/benchctl|*"
    "sim|appliance/sim|*")
