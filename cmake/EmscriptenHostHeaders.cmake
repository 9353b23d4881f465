# Makes a header-only package installed on the build machine (Debian) visible to em++.
#
# Emscripten's toolchain file sets CMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY, so find_package()
# cannot see /usr/share/cmake/<pkg>, and /usr/include must never be put on em++'s include path
# (glibc headers would shadow Emscripten's musl/libc++). So for <pkg> we stage a private prefix
# in the build tree:
#   _host/<pkg>/include/<dir>          -> symlink to the host's /usr/include/<dir>
#   _host/<pkg>/share/cmake/<pkg>/*     copies of the host's CMake package files
# and point <pkg>_DIR at it. The imported target's include dir then contains only <dir>.

set(TCPLAB_HOST_PREFIX "/usr" CACHE PATH "Prefix of the build machine's header-only packages")

function(tcplab_stage_host_package pkg)
    if(pkg STREQUAL "nlohmann_json")
        set(header_dir "nlohmann")
    else()
        message(FATAL_ERROR "tcplab_stage_host_package: no header directory known for ${pkg}")
    endif()

    set(host_config_dir "${TCPLAB_HOST_PREFIX}/share/cmake/${pkg}")
    set(host_header_dir "${TCPLAB_HOST_PREFIX}/include/${header_dir}")
    if(NOT EXISTS "${host_config_dir}/${pkg}Config.cmake" OR NOT IS_DIRECTORY "${host_header_dir}")
        message(FATAL_ERROR
            "${pkg} is not installed on this machine (looked for ${host_config_dir} and "
            "${host_header_dir}). On Debian: apt-get install nlohmann-json3-dev")
    endif()

    set(stage "${CMAKE_BINARY_DIR}/_host/${pkg}")
    file(MAKE_DIRECTORY "${stage}/include" "${stage}/share/cmake/${pkg}")
    if(NOT EXISTS "${stage}/include/${header_dir}")
        file(CREATE_LINK "${host_header_dir}" "${stage}/include/${header_dir}" SYMBOLIC)
    endif()
    file(GLOB config_files "${host_config_dir}/*.cmake")
    file(COPY ${config_files} DESTINATION "${stage}/share/cmake/${pkg}")
    set(${pkg}_DIR "${stage}/share/cmake/${pkg}" CACHE PATH "Staged ${pkg} package for em++" FORCE)
endfunction()
