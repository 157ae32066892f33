#!/usr/bin/env bash
# Fails if a folder includes a folder above it. Dependencies point one way:
#   core <- {chips, fabric, router} <- runtime/config <- runtime/plan <- runtime/results
#   core <- runtime/transport <- runtime/pdes
#   {pdes, plan, results} <- runtime/cluster <- runtime (simulate, logging) <- runtime/commands
#   runtime/results <- runtime/reports <- runtime/commands
# The engine (runtime/pdes) includes no model code: none of chips/, fabric/, router/ or the
# cluster. Only runtime/config and runtime/commands see the protobuf schema (moefab.pb.h).
set -u
top=${1:?usage: check_layering.sh REPO_ROOT}
declare -A allowed=(
  [core]="core"
  [chips]="core chips"
  [fabric]="core fabric"
  [router]="core router"
  [runtime/transport]="core runtime/transport"
  [runtime/pdes]="core runtime/transport runtime/pdes"
  [runtime/config]="core chips fabric router runtime/config moefab.pb.h"
  [runtime/plan]="core chips fabric router runtime/config runtime/plan"
  [runtime/results]="core chips fabric router runtime/config runtime/plan runtime/results"
  [runtime/cluster]="core chips fabric router runtime/config runtime/plan runtime/results runtime/transport runtime/pdes runtime/cluster"
  [runtime/reports]="core chips fabric router runtime/config runtime/plan runtime/results runtime/reports"
  [runtime]="core chips fabric router runtime/config runtime/plan runtime/results runtime/transport runtime/pdes runtime/cluster runtime/reports runtime/simulate.h runtime/checkpoint.h runtime/logging.h"
  [runtime/commands]="core chips fabric router runtime moefab.pb.h"
)
bad=0
for folder in "${!allowed[@]}"; do
  depth=()
  [ "$folder" = runtime ] && depth=(-maxdepth 1)
  while IFS= read -r file; do
    while IFS= read -r inc; do
      ok=0
      for a in ${allowed[$folder]}; do
        case "$inc" in "$a"/*|"$a") ok=1 ;; esac
      done
      if [ $ok -eq 0 ]; then
        echo "${file#$top/} includes \"$inc\" (allowed for $folder/: ${allowed[$folder]})"
        bad=1
      fi
    done < <(grep -hoE '#include "[^"]+"' "$file" | sed -E 's/#include "([^"]+)"/\1/' |
             grep -E '^(core|chips|fabric|router|runtime)/|^moefab\.pb\.h$')
  done < <(find "$top/$folder" "${depth[@]}" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.in' \))
done
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
