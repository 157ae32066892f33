# cmake -DMOEFAB=<exe> -DARGS=a;b;c -P expect_bad_args.cmake: a bad command line exits 2 with
# an error message and leaves no output behind.
execute_process(COMMAND ${MOEFAB} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "moefab ${ARGS}: exit code ${rc}, expected 2\n${out}${err}")
endif()
string(FIND "${err}" "moefab: error:" at)
if(at LESS 0)
  message(FATAL_ERROR "moefab ${ARGS}: no error message on stderr:\n${err}")
endif()
if(EXISTS "x/results.json")
  message(FATAL_ERROR "results.json written for a bad command line")
endif()
