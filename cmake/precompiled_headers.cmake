# SPDX-License-Identifier: Apache-2.0
# Precompiled headers without touching every CMakeLists.txt: after all targets exist, give each
# target a precompiled header made of the heavy third-party headers that at least two of its own
# sources include (directly or through a project header they include). A header only one file includes would cost as much to precompile as it
# saves. The sources keep their own #include lines, so a build with -DPB_PCH=OFF (the lint
# configuration, see tests/README.md) still checks that every file includes what it uses.
include_guard(GLOBAL)

# Only third-party headers that are slow to parse and never change between builds.
set(PB_PCH_HEADER_REGEX
    "^[ \t]*#[ \t]*include[ \t]*<((boost/(asio|beast)[^>]*)|nlohmann/json\\.hpp|yaml-cpp/yaml\\.h|gtest/gtest\\.h|gmock/gmock\\.h|benchmark/benchmark\\.h)>")

function(pb_pch_collect_targets dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    pb_pch_collect_targets("${sub}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(pb_add_precompiled_headers top)
  pb_pch_collect_targets("${top}" targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    set(counted "")
    set(headers "")
    foreach(src IN LISTS sources)
      if(NOT src MATCHES "\\.(cpp|cc)$")
        continue()
      endif()
      cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY "${source_dir}" OUTPUT_VARIABLE path)
      if(NOT EXISTS "${path}")
        continue() # generated at build time
      endif()
      file(STRINGS "${path}" lines REGEX "${PB_PCH_HEADER_REGEX}")
      # One level into the project's own headers: most files get Asio through their .hpp.
      file(STRINGS "${path}" locals REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
      foreach(local IN LISTS locals)
        string(REGEX REPLACE "^[^\"]*\"([^\"]+)\".*$" "\\1" name "${local}")
        foreach(root IN ITEMS "${source_dir}" "${top}/appliance" "${top}/drivers" "${top}")
          if(EXISTS "${root}/${name}")
            file(STRINGS "${root}/${name}" more REGEX "${PB_PCH_HEADER_REGEX}")
            list(APPEND lines ${more})
            break()
          endif()
        endforeach()
      endforeach()
      set(seen "")
      foreach(line IN LISTS lines)
        string(REGEX MATCH "<[^>]+>" header "${line}")
        if(NOT header IN_LIST seen)
          list(APPEND seen "${header}")
          if(header IN_LIST counted)
            list(APPEND headers "${header}")
          else()
            list(APPEND counted "${header}")
          endif()
        endif()
      endforeach()
    endforeach()
    list(REMOVE_DUPLICATES headers)
    if(headers)
      list(SORT headers)
      # Some of them use std facilities they do not include (asio/awaitable.hpp: std::exchange),
      # which the sources happened to include first.
      list(PREPEND headers <cstddef> <memory> <string> <utility>)
      list(TRANSFORM headers PREPEND "$<$<COMPILE_LANGUAGE:CXX>:")
      list(TRANSFORM headers APPEND ">")
      target_precompile_headers(${target} PRIVATE ${headers})
      # ccache refuses precompiled headers unless told these differences are harmless.
      get_target_property(launcher ${target} CXX_COMPILER_LAUNCHER)
      if(launcher MATCHES "ccache$")
        set_target_properties(${target} PROPERTIES CXX_COMPILER_LAUNCHER
          "${CMAKE_COMMAND};-E;env;CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime;${launcher}")
      endif()
    endif()
  endforeach()
endfunction()
