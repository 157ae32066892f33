# fabric_bench: packet-hops per second of the fabric model (SequentialDriver + Network) on an
# 8x8 torus under uniform Bernoulli traffic below saturation, and memory over 10M packets.
# Included from tests/bench/CMakeLists.txt inside if(MOEFAB_BUILD_BENCHMARKS), after
# find_package(benchmark).
add_executable(fabric_bench ${CMAKE_CURRENT_LIST_DIR}/fabric_bench.cc)
target_link_libraries(fabric_bench PRIVATE moefab_fabric benchmark::benchmark)
moefab_warnings(fabric_bench)
