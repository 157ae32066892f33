# rtl_bench: Verilated expert_engine simulation speed (MAC/s, cycles/s) vs the fast golden
# datapath. Included from tests/bench/CMakeLists.txt inside if(MOEFAB_BUILD_BENCHMARKS), after
# find_package(benchmark). The big builds come from MOEFAB_RTL_BENCH_BUILDS (chips/).
add_executable(rtl_bench ${CMAKE_CURRENT_LIST_DIR}/rtl_bench.cc)
target_link_libraries(rtl_bench PRIVATE moefab_chips benchmark::benchmark)
moefab_warnings(rtl_bench)
