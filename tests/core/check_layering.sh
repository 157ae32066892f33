#!/usr/bin/env bash
# Fails if a sibling layer includes another: chips, fabric and router talk only through
# runtime/ and the core vocabulary (runtime/core/).
set -u
top=${1:?usage: check_layering.sh REPO_ROOT}
bad=0
for layer in chips fabric router; do
  for other in chips fabric router runtime; do
    [ "$other" = "$layer" ] && continue
    hits=$(grep -rnE "#include [\"<]$other/" "$top/$layer" --include='*.h' --include='*.cc' \
           --include='*.in' | grep -v "runtime/core/")
    if [ -n "$hits" ]; then
      echo "$layer/ includes $other/:"
      echo "$hits"
      bad=1
    fi
  done
done
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
