# transport_bench: microseconds per Exchange round, MPI vs UCX, at 0 B .. 1 MiB per peer. Its
# own main does MPI_Init; run it under mpirun (2 ranks on the 2-core machine):
#   source scripts/mpi-env.sh && mpirun -np 2 build/tests/bench/transport_bench
# Included from tests/bench/CMakeLists.txt inside if(MOEFAB_BUILD_BENCHMARKS), after
# find_package(benchmark).
add_executable(transport_bench ${CMAKE_CURRENT_LIST_DIR}/transport_bench.cc)
target_link_libraries(transport_bench PRIVATE moefab_runtime benchmark::benchmark)
moefab_warnings(transport_bench)
