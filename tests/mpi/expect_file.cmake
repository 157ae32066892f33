# cmake -DFILE=<path> -DREGEX=<regex> -P expect_file.cmake
# Checks that FILE exists and that its content matches REGEX.
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE} was not written")
endif()
file(READ "${FILE}" content)
if(NOT content MATCHES "${REGEX}")
  message(FATAL_ERROR "${FILE} does not match '${REGEX}'")
endif()
