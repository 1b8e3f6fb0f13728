# `cmake --install`: the partfs binary, its mount(8) helper and its man page.
include(GNUInstallDirs)

install(TARGETS partfs RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# mount(8) looks for helpers only in /sbin (merged with /usr/sbin on Debian
# 12), whatever the install prefix: mount.fuse.partfs goes there and runs
# the binary by its absolute installed path.
set(PARTFS_MOUNT_HELPER_DIR "/sbin" CACHE PATH "where mount.fuse.partfs is installed")
set(PARTFS_SCRIPT_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                               WORLD_READ WORLD_EXECUTE)
set(PARTFS_INSTALLED_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/partfs)
configure_file(${PROJECT_SOURCE_DIR}/cmake/mount.fuse.partfs.in
               ${PROJECT_BINARY_DIR}/install/mount.fuse.partfs @ONLY
               FILE_PERMISSIONS ${PARTFS_SCRIPT_PERMISSIONS})
install(PROGRAMS ${PROJECT_BINARY_DIR}/install/mount.fuse.partfs
        DESTINATION ${PARTFS_MOUNT_HELPER_DIR})
# The same helper running the build tree's binary, for the tests.
set(PARTFS_INSTALLED_BINARY ${PROJECT_BINARY_DIR}/partfs)
configure_file(${PROJECT_SOURCE_DIR}/cmake/mount.fuse.partfs.in
               ${PROJECT_BINARY_DIR}/mount.fuse.partfs @ONLY
               FILE_PERMISSIONS ${PARTFS_SCRIPT_PERMISSIONS})

add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/partfs.1
  COMMAND ${CMAKE_COMMAND} -DPARTFS=$<TARGET_FILE:partfs> -DVERSION=${PROJECT_VERSION}
          -DOUT=${PROJECT_BINARY_DIR}/partfs.1 -P ${PROJECT_SOURCE_DIR}/cmake/make-man.cmake
  DEPENDS partfs ${PROJECT_SOURCE_DIR}/cmake/make-man.cmake
  COMMENT "partfs.1 from partfs --help")
add_custom_target(partfs_man ALL DEPENDS ${PROJECT_BINARY_DIR}/partfs.1)
install(FILES ${PROJECT_BINARY_DIR}/partfs.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
