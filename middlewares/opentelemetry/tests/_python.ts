// The Python of the tests that put FastStream's OpenTelemetry middleware beside Sluice's: the interop peer's
// (tests/_support/python.ts, which scripts/python sets up) when it also imports FastStream's middleware and
// the OpenTelemetry SDK. Without one it prints a loud SKIP line; with SLUICE_REQUIRE_PYTHON=1 it throws.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { faststreamPython } from "../../../tests/_support/python.ts";

let found: { python?: string } | undefined;

/** The path of a python with FastStream 0.7.8, its OpenTelemetry middleware and the SDK, else undefined. */
export function telemetryPython(): string | undefined {
  if (found) return found.python;
  const python = faststreamPython();
  if (!python) {
    found = {};
    return undefined;
  }
  const check = spawnSync(
    python,
    ["-c", "import faststream.opentelemetry, opentelemetry.sdk.trace.export.in_memory_span_exporter"],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (check.status === 0) return (found = { python }).python;
  const why =
    `${python} has FastStream but not the OpenTelemetry SDK its otel extra needs: run scripts/python`;
  if (process.env.SLUICE_REQUIRE_PYTHON === "1") throw new Error(`SLUICE_REQUIRE_PYTHON=1 but ${why}`);
  console.warn(`SKIP: ${why}`);
  found = {};
  return undefined;
}
