# Source this before mpirun: Open MPI settings that this project's machines need.
# Everything runs as root in CI and on the dev machines; vader's single-copy mechanism (CMA)
# is slower here than plain shared memory.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
