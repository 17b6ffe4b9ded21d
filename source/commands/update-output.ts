// How `update` and `rollback` print a job's events: progress bars on a terminal, plain lines otherwise, or cli.md's JSON lines; the plan, the gate table and the fleet summary.
import {createInterface} from 'node:readline/promises';
import {formatBytes, formatDuration, formatRate} from '../core/flash/flash-units.js';
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';
import type {RolloutRow} from '../core/update/fleet-rollout.js';
import {describeBuild, type BuildRef, type GateRow, type ServiceSnapshot, type UpdateEvent, type UpdatePlan} from '../core/update/update-events.js';
import type {CommandIo} from './command-io.js';

const clean = (text: string) => sanitizeForTerminal(text);
const barWidth = 24;

function bar(fraction: number): string {
	const filled = Math.round(Math.max(0, Math.min(1, fraction)) * barWidth);
	return `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
}

function snapshotText(snapshot: ServiceSnapshot | null): string {
	return snapshot ? `${snapshot.state}${snapshot.pid ? ` pid ${snapshot.pid}` : ''}` : '—';
}

const buildJson = (build: BuildRef) => ({buildTimestamp: build.buildTimestamp, sbomHash: build.sbomHash});
const serviceJson = (row: GateRow) => ({path: row.path, before: row.before?.state ?? null, after: row.after?.state ?? null, restarts: row.restarts});

/** The per-service table: state and pid before and after, restarts, and for a failing one why and its last stderr line. */
export function gateTable(rows: GateRow[]): string[] {
	const width = Math.max(8, ...rows.map(row => clean(row.path).length));
	const lines = [`  ${'SERVICE'.padEnd(width)}  ${'BEFORE'.padEnd(20)}  ${'AFTER'.padEnd(20)}  RESTARTS  RESULT`];
	for (const row of rows) {
		const result = row.ok ? (row.before === null ? 'ok (new)' : row.after === null ? 'gone (allowed)' : 'ok') : `FAILED: ${row.reason ?? ''}`;
		lines.push(`  ${clean(row.path).padEnd(width)}  ${snapshotText(row.before).padEnd(20)}  ${snapshotText(row.after).padEnd(20)}  ${String(row.restarts).padStart(8)}  ${result}`);
		if (!row.ok && row.lastStderr) {
			lines.push(`  ${' '.repeat(width)}  last stderr: ${clean(row.lastStderr).slice(0, 200)}`);
		}
	}

	return lines;
}

/** What will change, shown before the question. */
export function planLines(plan: UpdatePlan): string[] {
	const lines = [`${plan.device}: ${plan.kind}`, `  running   ${clean(describeBuild(plan.from))}`];
	const target = plan.to.sbomHash || plan.to.buildTimestamp ? describeBuild(plan.to) : 'a build of unknown SBOM';
	lines.push(`  ${plan.kind === 'rollback' ? 'back to' : 'new'}${plan.kind === 'rollback' ? '   ' : '       '}${clean(target)}${plan.archive ? `  from ${plan.archive}` : ''}`);
	if (plan.diff) {
		const changes = [
			...plan.diff.added.map(name => `+ ${name}`),
			...plan.diff.removed.map(name => `- ${name}`),
			...plan.diff.changed.map(name => `~ ${name} (another version)`),
		];
		lines.push(...(changes.length === 0 ? ['  packages  no package changes'] : changes.map((change, index) => `  ${index === 0 ? 'packages' : '        '}  ${change}`)));
	}

	const parts = plan.parts.map(part => `${part.part} ${formatBytes(part.bytes)}`).join(', ');
	const then = plan.kind === 'rollback'
		? 'switch to the other root partition, reboot'
		: `${plan.mode === 'testboot' ? 'testboot' : 'switch'}${plan.reboot ? ', reboot' : ' (no reboot: it boots the new build at its next reboot)'}`;
	lines.push(`  steps     ${parts ? `push ${parts}; ` : ''}${then}${plan.reboot ? `; health gate ${plan.settleSeconds} s` : ''}`);
	for (const note of plan.notes) {
		lines.push(`  note      ${clean(note)}`);
	}

	return lines;
}

/** Asks on stderr; Ctrl-C (the command's signal) is a no. */
export async function askYesNo(question: string, io: CommandIo): Promise<boolean> {
	const prompt = createInterface({input: process.stdin, output: io.stderr as NodeJS.WritableStream});
	try {
		const answer = await prompt.question(question, {signal: io.signal});
		return /^y(es)?$/i.test(answer.trim());
	} catch {
		return false;
	} finally {
		prompt.close();
	}
}

/** Renders one job's events: JSON lines (cli.md), a redrawn status line on a terminal, or plain lines. */
export class UpdatePrinter {
	private statusShown = false;
	private lastWait = '';
	private lastGateSecond = -1;
	private lastPercent = new Map<string, number>();

	constructor(private readonly io: CommandIo, private readonly json: boolean) {}

	private write(text: string): void {
		this.endStatus();
		this.io.stdout.write(`${text}\n`);
	}

	private status(text: string): void {
		this.io.stdout.write(`\r\u001B[K${text}`);
		this.statusShown = true;
	}

	endStatus(): void {
		if (this.statusShown) {
			this.io.stdout.write('\n');
			this.statusShown = false;
		}
	}

	private jsonLine(value: Record<string, unknown>): void {
		this.io.stdout.write(`${JSON.stringify(value)}\n`);
	}

	readonly onEvent = (event: UpdateEvent): void => {
		if (this.json) {
			this.jsonEvent(event);
		} else {
			this.humanEvent(event);
		}
	};

	private jsonEvent(event: UpdateEvent): void {
		const {device} = event;
		switch (event.type) {
			case 'build-line':
				this.jsonLine({device, phase: 'build', line: event.line});
				break;
			case 'push':
				this.jsonLine({device, phase: 'push', part: event.part, bytes: event.bytes, total: event.total, bytesPerSecond: Math.round(event.bytesPerSecond)});
				break;
			case 'pushed':
				this.jsonLine({device, phase: 'push', part: event.part, bytes: event.bytes, total: event.bytes, bytesPerSecond: Math.round(event.bytes / Math.max(event.seconds, 0.001)), sha256: event.sha256, done: true});
				break;
			case 'skipped':
				this.jsonLine({device, phase: 'push', part: event.part, skipped: event.reason});
				break;
			case 'switched':
				this.jsonLine({device, phase: 'switch', mode: event.mode});
				break;
			case 'phase':
				if (event.phase === 'reboot' || event.phase === 'build') {
					this.jsonLine({device, phase: event.phase});
				}

				break;
			case 'wait': {
				const key = `${event.state}:${event.seconds}`;
				if (key !== this.lastWait) {
					this.lastWait = key;
					this.jsonLine({device, phase: 'wait', state: event.state, seconds: event.seconds, ...(event.to ? {to: buildJson(event.to)} : {})});
				}

				break;
			}

			case 'gate':
				if (event.remainingSeconds !== this.lastGateSecond) {
					this.lastGateSecond = event.remainingSeconds;
					this.jsonLine({device, phase: 'gate', remainingSeconds: event.remainingSeconds, failing: event.rows.filter(row => !row.ok).map(row => row.path)});
				}

				break;
			case 'done':
				this.jsonLine({
					device,
					phase: 'done',
					from: buildJson(event.result.from),
					to: buildJson(event.result.to),
					downtimeSeconds: event.result.downtimeSeconds ?? null,
					services: event.result.services.map(serviceJson),
					standing: event.result.standing,
				});
				break;
			case 'failed':
				this.jsonLine({device, phase: 'failed', message: event.message, switched: event.switched, standing: event.standing});
				break;
			case 'plan':
				break;
		}
	}

	private humanEvent(event: UpdateEvent): void {
		const device = clean(event.device);
		switch (event.type) {
			case 'build-line':
				if (this.io.stdoutIsTty) {
					this.status(`${device}  gok: ${clean(event.line).slice(0, 100)}`);
				} else {
					this.write(`${device}: gok: ${clean(event.line)}`);
				}

				break;
			case 'phase':
				if (event.phase === 'build') {
					this.write(`${device}: building with gok overwrite --gaf…`);
				} else if (event.phase === 'reboot') {
					this.write(`${device}: rebooting…`);
				} else if (event.phase === 'gate') {
					this.lastGateSecond = -1;
				}

				break;
			case 'plan':
				break;
			case 'push': {
				const fraction = event.total > 0 ? event.bytes / event.total : 1;
				const eta = event.etaSeconds === undefined ? '' : `  ETA ${formatDuration(event.etaSeconds)}`;
				if (this.io.stdoutIsTty) {
					this.status(`${device}  ${event.part.padEnd(4)} ${bar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(event.bytes)} of ${formatBytes(event.total)}  ${formatRate(event.bytesPerSecond)}${eta}`);
				} else {
					// A line when a part starts, then one per quarter, so a log shows a slow push moving.
					const quarter = Math.floor(fraction * 4) * 25;
					const shown = this.lastPercent.get(event.part);
					if (shown === undefined) {
						this.lastPercent.set(event.part, quarter);
						this.write(`${device}: pushing ${event.part} (${formatBytes(event.total)})…`);
					} else if (quarter > shown && quarter < 100) {
						this.lastPercent.set(event.part, quarter);
						this.write(`${device}: pushing ${event.part}: ${quarter}% of ${formatBytes(event.total)} (${formatRate(event.bytesPerSecond)})`);
					}
				}

				break;
			}

			case 'pushed':
				this.write(`${device}: ${event.part} pushed: ${formatBytes(event.bytes)} in ${formatDuration(event.seconds)} (${formatRate(event.bytes / Math.max(event.seconds, 0.001))}), SHA-256 matches the device's`);
				break;
			case 'skipped':
				this.write(`${device}: ${event.part} skipped: ${event.reason}`);
				break;
			case 'switched':
				this.write(event.mode === 'commit'
					? `${device}: the test boot passed; switched for good`
					: `${device}: ${event.mode === 'testboot' ? 'testboot set: the next boot tries the new build once' : 'switched to the other root partition: the next boot starts its build'}`);
				break;
			case 'wait': {
				const text = event.state === 'back'
					? `back after ${event.seconds} s: ${clean(describeBuild(event.from))} → ${clean(event.to ? describeBuild(event.to) : '?')}`
					: event.state === 'away' ? `away ${event.seconds} s` : 'rebooting (still answering)';
				if (this.io.stdoutIsTty && event.state !== 'back') {
					this.status(`${device}  ${text}`);
				} else if (event.state !== this.lastWait || event.state === 'back') {
					this.write(`${device}: ${text}`);
				}

				this.lastWait = event.state;
				break;
			}

			case 'gate': {
				const failing = event.rows.filter(row => !row.ok).length;
				const text = `health gate: ${event.remainingSeconds} s left, ${event.rows.length} services, ${failing} failing`;
				if (this.io.stdoutIsTty) {
					this.status(`${device}  ${text}`);
				} else if (this.lastGateSecond === -1 || event.remainingSeconds % 10 === 0 && event.remainingSeconds !== this.lastGateSecond) {
					this.write(`${device}: ${text}`);
				}

				this.lastGateSecond = event.remainingSeconds;
				break;
			}

			case 'done': {
				const {result} = event;
				if (result.standing === 'switched') {
					this.write(`${device}: pushed and switched; NOT rebooted: it runs ${clean(describeBuild(result.from))} until its next reboot, which starts the new build`);
					break;
				}

				this.write(`${device}: ${result.kind === 'rollback' ? 'rolled back' : 'updated'}: ${clean(describeBuild(result.from))} → ${clean(describeBuild(result.to))}, down ${result.downtimeSeconds ?? '?'} s, health gate passed`);
				for (const line of gateTable(result.services)) {
					this.write(line);
				}

				break;
			}

			case 'failed':
				this.endStatus();
				break;
		}
	}
}

/** The fleet's end: one row per device, what happened and where it stands. */
export function summaryLines(rows: RolloutRow[]): string[] {
	const standing: Record<string, string> = {
		untouched: 'unchanged',
		pushed: 'runs the old build (nothing switched)',
		switched: 'SWITCHED, reboot pending',
		rebooting: 'rebooting, not seen back',
		rebooted: 'runs the new build',
	};
	const width = Math.max(6, ...rows.map(row => clean(row.device).length));
	const lines = [`${'DEVICE'.padEnd(width)}  ${'RESULT'.padEnd(9)}  ${'STANDS'.padEnd(36)}  BUILD`];
	for (const row of rows) {
		const known = (build: BuildRef | undefined) => build !== undefined && (build.buildTimestamp !== '' || build.sbomHash !== '');
		const builds = known(row.from) && known(row.to) && row.outcome === 'updated'
			? `${clean(describeBuild(row.from!))} → ${clean(describeBuild(row.to!))}`
			: known(row.from) ? clean(describeBuild(row.from!)) : '';
		lines.push(`${clean(row.device).padEnd(width)}  ${row.outcome.padEnd(9)}  ${(standing[row.standing] ?? row.standing).padEnd(36)}  ${builds}`);
	}

	return lines;
}
