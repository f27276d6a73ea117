#!/usr/bin/env bash
# `npm run deploy:localstack`: `serverless deploy --stage local` against LocalStack, through
# AWS_ENDPOINT_URL (osls honours it; serverless-localstack does not work with osls v4).
#
#   AWS_ENDPOINT_URL (default http://localhost:4566)   STAGE (default local)
#   Extra arguments go to `serverless deploy`, e.g. npm run deploy:localstack -- --param tolerance=2
set -euo pipefail
cd "$(dirname "$0")/.."

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
# LocalStack accepts any credentials; real ones must never be sent to it by accident.
export AWS_ACCESS_KEY_ID="${LOCALSTACK_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${LOCALSTACK_SECRET_ACCESS_KEY:-test}"
unset AWS_SESSION_TOKEN AWS_PROFILE
STAGE="${STAGE:-local}"

# This script is for a local emulator only; `serverless deploy --stage NAME` is the way to AWS.
case "$AWS_ENDPOINT_URL" in
  http://localhost:*|http://127.0.0.1:*|http://localstack:*|http://host.docker.internal:*|http://*.localhost.localstack.cloud:*) ;;
  *)
    if [ "${DTS_DEPLOY_ANY_ENDPOINT:-}" != "1" ]; then
      echo "deploy:localstack: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL does not look like LocalStack; set DTS_DEPLOY_ANY_ENDPOINT=1 if it is" >&2
      exit 2
    fi
    ;;
esac

if ! health="$(curl -fsS --max-time 5 "$AWS_ENDPOINT_URL/_localstack/health" 2>/dev/null)"; then
  echo "deploy:localstack: no LocalStack at $AWS_ENDPOINT_URL." >&2
  echo "  Start it with: export LOCALSTACK_AUTH_TOKEN=...; docker compose up -d --wait" >&2
  echo "  (Without Docker, use the embedded local cloud instead: npm start)" >&2
  exit 1
fi
case "$health" in
  *'"cloudformation"'*) ;;
  *) echo "deploy:localstack: $AWS_ENDPOINT_URL answers but is not LocalStack with CloudFormation (the embedded 'npm start' cloud cannot take deployments)" >&2; exit 1 ;;
esac

echo "deploying stage $STAGE to $AWS_ENDPOINT_URL ($AWS_REGION)"
exec npx --no-install serverless deploy --stage "$STAGE" --region "$AWS_REGION" "$@"
