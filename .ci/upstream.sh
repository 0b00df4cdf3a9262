#!/usr/bin/env bash
# urllib3 2.8.0's and requests 2.34.2's own test suites, run against pool
# installed as urllib3 (pool.install_as_urllib3()), for both wire
# implementations: the compiled core and the pure-Python twin.
#
# Run it inside the project's virtual environment (pool installed):
#     bash .ci/upstream.sh
# The sdists are downloaded with pip and unpacked into a temporary
# directory; their test requirements are installed into the active
# environment.  Tests listed in .ci/upstream/deselect-*.txt are deselected
# (each with its reason) by the pool_as_urllib3 plugin, which matches node
# ids exactly (pytest's --deselect would match any prefix); any other failure
# or error makes the step fail.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
here=$repo/.ci/upstream
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
start=$SECONDS

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== download and unpack urllib3 2.8.0 and requests 2.34.2"
python -m pip download -q --no-deps --no-binary :all: urllib3==2.8.0 requests==2.34.2 -d "$work/dl" || exit 1
for f in "$work"/dl/*.tar.gz; do tar -xzf "$f" -C "$work" || exit 1; done
u3=$work/urllib3-2.8.0
rq=$work/requests-2.34.2

echo "== test requirements"
python -m pip install -q -r "$here/requirements.txt" || exit 1
# requests' tests import the installed requests: it must be the same release.
python -m pip install -q --no-deps requests==2.34.2 || exit 1

# Module-level imports of private urllib3 names pool lacks would stop whole
# test modules from being collected; bind them to stand-ins instead.
(cd "$u3" && PYTHONPATH=$here python "$here/patch_private_imports.py" \
    $(find test dummyserver -name '*.py' -not -path '*emscripten*')) || exit 1

status=0
summary=()
run_suite() {  # name dir deselect-file impl-env pytest-args...
    local name=$1 dir=$2 desel=$3 impl=$4
    shift 4
    echo "== $name [$impl]"
    local log=$work/$name-$impl.log t0=$SECONDS rc
    (
        cd "$dir" || exit 1
        if [ "$impl" = twin ]; then export POOL_NO_EXTENSIONS=1; else unset POOL_NO_EXTENSIONS; fi
        POOL_UPSTREAM_SUITE=$name POOL_UPSTREAM_DESELECT=$desel PYTHONPATH="$here:$dir" \
            python "$here/run_pytest.py" -p no:cacheprovider -q -rfE --timeout=60 "$@"
    ) > "$log" 2>&1
    rc=$?
    grep -E '^(FAILED|ERROR) ' "$log" || true
    grep -E '^UPSTREAM ' "$log" || { tail -n 30 "$log"; }
    tail -n 1 "$log"
    echo "   ($((SECONDS - t0)) s, pytest exit $rc)"
    summary+=("$(grep -E '^UPSTREAM TOTALS' "$log" || echo "$name [$impl]: no totals (exit $rc)")")
    if [ "$rc" != 0 ]; then
        # Once more, the failed tests alone: urllib3's suite turns warnings
        # into errors, and a ResourceWarning from a socket the garbage
        # collector finds can land in whichever test runs at that moment.
        # A test that fails twice fails the step; one that passes the second
        # time is reported as flaky.
        local -a again=()
        mapfile -t again < <(grep -E '^(FAILED|ERROR) ' "$log" | sed -E 's/^(FAILED|ERROR) //; s/ - .*$//' | sort -u)
        if [ "${#again[@]}" -gt 0 ] && [ "${#again[@]}" -le 20 ]; then
            echo "   re-running ${#again[@]} failed test(s) once"
            local rlog=$work/$name-$impl-rerun.log
            (
                cd "$dir" || exit 1
                if [ "$impl" = twin ]; then export POOL_NO_EXTENSIONS=1; else unset POOL_NO_EXTENSIONS; fi
                # Keep the plugin options (-p, -m, --timeout...), not the paths.
                local -a opts=()
                for a in "$@"; do
                    case "$a" in --ignore=*) continue ;; esac
                    [ -e "$a" ] || opts+=("$a")
                done
                POOL_UPSTREAM_SUITE=$name POOL_UPSTREAM_DESELECT=$desel PYTHONPATH="$here:$dir" \
                    python "$here/run_pytest.py" -p no:cacheprovider -q -rfE --timeout=60 "${opts[@]}" "${again[@]}"
            ) > "$rlog" 2>&1
            rc=$?
            tail -n 1 "$rlog"
            if [ "$rc" = 0 ]; then
                summary+=("$name [$impl]: flaky, passed when re-run: ${again[*]}")
            else
                grep -E '^(FAILED|ERROR) ' "$rlog" || true
            fi
        fi
    fi
    [ "$rc" = 0 ] || status=1
}

for impl in compiled twin; do
    run_suite urllib3 "$u3" "$here/deselect-urllib3.txt" "$impl" \
        -p urllib3_suite -m "not requires_network and not integration" \
        test --ignore=test/test_http2_connection.py --ignore=test/contrib
    run_suite requests "$rq" "$here/deselect-requests.txt" "$impl" \
        --timeout-method=thread tests
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "upstream suites took $((SECONDS - start)) s"
if [ "$status" != 0 ]; then
    echo "upstream suites FAILED: a test not in .ci/upstream/deselect-*.txt failed or errored"
fi
exit "$status"
