# cmake -DMOEFAB=<exe> -DMPIEXEC=<mpiexec> -DCASE=<name> -DDIR=<dir> -DOUT=<dir> -P expect_bad_input.cmake
# `moefab run <CASE>.textproto` on 2 ranks must exit 2, print <CASE>.expected, write no results.json.
file(REMOVE_RECURSE "${OUT}")
execute_process(
  COMMAND ${MPIEXEC} -np 2 --oversubscribe ${MOEFAB} run ${CASE}.textproto --out ${OUT}
  WORKING_DIRECTORY ${DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ "${DIR}/${CASE}.expected" expected)
string(STRIP "${expected}" expected)
string(FIND "${err}" "${expected}" at)
if(at LESS 0)
  message(FATAL_ERROR "stderr does not contain the expected message\n--- expected:\n${expected}\n--- stderr:\n${err}")
endif()
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "exit code ${rc}, expected 2\n${err}")
endif()
if(EXISTS "${OUT}")
  message(FATAL_ERROR "${OUT} was created for a bad config")
endif()
