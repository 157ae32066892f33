# cmake -DMOEFAB=<exe> -DMPIEXEC=<mpiexec> -DCONFIG=<file> -DOUT=<path> [-DMAKE_FILE=1] -P expect_bad_out.cmake
# `moefab run CONFIG --out OUT` on 2 ranks with an unusable OUT (a file; a path under /dev/full)
# must exit 2 with one "--out" message naming it and write no results.json.
if(MAKE_FILE)
  file(WRITE "${OUT}" "not a folder\n")
endif()
execute_process(
  COMMAND ${MPIEXEC} -np 2 --oversubscribe ${MOEFAB} run ${CONFIG} --out ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MAKE_FILE)
  file(REMOVE "${OUT}")
endif()
string(FIND "${err}" "moefab: error: --out ${OUT}: " at)
if(at LESS 0)
  message(FATAL_ERROR "stderr does not name --out ${OUT}\n--- stderr:\n${err}")
endif()
string(REGEX MATCHALL "moefab: error" errors "${err}")
list(LENGTH errors count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one error line, got ${count}\n${err}")
endif()
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "exit code ${rc}, expected 2\n${err}")
endif()
