#!/usr/bin/env bash
# GradLab workers as a Slurm array job, all claiming points from one PostgreSQL store.
#
#   export GRADLAB_STORE=postgres://gradlab@db.example:5432/lab   # PGPASSWORD holds the password
#   export GRADLAB_RUNS=/shared/gradlab-runs                      # a directory every node mounts
#   sbatch --array=0-7 examples/cluster/slurm-worker.sh examples/experiments/depth-sigma-sweep.yaml
#
# Every task may queue the sweep (points already queued are left alone), then works until no
# point is queued or running. A node that dies mid-point loses nothing: its lease expires and
# another task resumes the point from its checkpoint in GRADLAB_RUNS.
#SBATCH --job-name=gradlab-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=gradlab-%A_%a.log
set -euo pipefail
: "${GRADLAB_STORE:?set GRADLAB_STORE=postgres://user@host:5432/db}"
gradlab=${GRADLAB:-gradlab}                 # the binary, built with: swift build -c release --traits PostgreSQL
runs=${GRADLAB_RUNS:-$PWD/runs}
jobs=${GRADLAB_JOBS:-1}                     # worker processes per task (each point uses its config's threads)
echo "task ${SLURM_ARRAY_TASK_ID:-0} of ${SLURM_ARRAY_TASK_COUNT:-1} (job ${SLURM_ARRAY_JOB_ID:-none}) on $(hostname)"
if [ $# -ge 1 ]; then
    "$gradlab" run "$1" --enqueue --dir "$runs"
fi
exec "$gradlab" worker --dir "$runs" --jobs "$jobs"
