// The update pane as lines of styled segments, fitted to the rows it has: the fleet's progress, gok's output, what will
// change, each part's push, the way back, the health gate's table and its verdict, and the question being asked.
import {formatBytes, formatDuration, formatRate} from '../../core/flash/flash-units.js';
import {describeBuild, type BuildRef, type GateRow, type ServiceSnapshot} from '../../core/update/update-events.js';
import {cell, rule, wrapWords} from '../../display/columns.js';
import {clean} from '../../display/device-text.js';
import type {Palette} from '../theme.js';
import type {Segment} from '../components/line.js';
import {paneContext, updateKeys} from './update-keys.js';
import {buildChange, buildClock, type DeviceJobView, type PartProgress, type UpdateViewState} from './update-view.js';

type Lines = Segment[][];

const barWidth = 20;

function bar(fraction: number): string {
	const filled = Math.round(Math.max(0, Math.min(1, fraction)) * barWidth);
	return `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
}

function buildText(build: BuildRef | undefined): string {
	return build && (build.buildTimestamp !== '' || build.sbomHash !== '') ? clean(describeBuild(build)) : 'a build of unknown SBOM';
}

function jobWord(job: DeviceJobView): string {
	switch (job.phase) {
		case 'queued':
			return 'queued';
		case 'done':
			return job.result?.standing === 'switched' ? 'switched, reboot pending' : job.kind === 'rollback' ? '✓ rolled back' : '✓ updated';
		case 'failed':
			return /cancelled/.test(job.failure?.message ?? '') ? 'cancelled' : `✗ failed (${job.failure?.phase ?? '?'})`;
		default:
			return `▶ ${job.phase}`;
	}
}

function partLine(part: PartProgress, palette: Palette): Segment[] {
	const name = cell(part.part, 8);
	if (part.skipped) {
		return [{text: '  '}, {text: name}, {text: `skipped: ${clean(part.skipped)}`, dim: true}];
	}

	if (part.done) {
		const seconds = part.bytesPerSecond > 0 ? part.bytes / part.bytesPerSecond : 0;
		return [
			{text: '  '},
			{text: name},
			{text: `${formatBytes(part.bytes)} in ${formatDuration(seconds)} (${formatRate(part.bytesPerSecond)})  `},
			{text: '✓ SHA-256 matches the device\'s', color: palette.ok},
		];
	}

	const fraction = part.total > 0 ? part.bytes / part.total : 0;
	const eta = part.etaSeconds === undefined ? '' : `  ETA ${formatDuration(part.etaSeconds)}`;
	return [
		{text: '  '},
		{text: name},
		{text: bar(fraction), color: palette.accent},
		{text: ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(part.bytes)} of ${formatBytes(part.total)}  ${formatRate(part.bytesPerSecond)}${eta}`},
	];
}

function snapshotText(snapshot: ServiceSnapshot | null): string {
	return snapshot ? `${snapshot.state}${snapshot.pid ? ` ${snapshot.pid}` : ''}` : '—';
}

/** The gate's table: every service, failing ones first when rows run short. */
export function gateLines(rows: readonly GateRow[], width: number, maxRows: number, palette: Palette): Lines {
	if (maxRows < 2) {
		return [];
	}

	const pathWidth = Math.min(28, Math.max(8, ...rows.map(row => clean(row.path).length + 2)));
	const header: Segment[] = [{text: `  ${cell('SERVICE', pathWidth)}${cell('BEFORE', 19)}${cell('AFTER', 19)}${cell('RESTARTS', 9)}RESULT`, bold: true}];
	const ordered = [...rows.filter(row => !row.ok), ...rows.filter(row => row.ok)];
	const room = maxRows - 1;
	const shown = ordered.length > room ? ordered.slice(0, room - 1) : ordered;
	const lines: Lines = [header];
	for (const row of shown) {
		const result = row.ok ? (row.before === null ? 'ok (new)' : row.after === null ? 'gone (allowed)' : 'ok') : `FAILED: ${row.reason ?? ''}${row.lastStderr ? ` · ${row.lastStderr}` : ''}`;
		lines.push([
			{text: '  '},
			{text: cell(clean(row.path), pathWidth), bold: !row.ok},
			{text: cell(snapshotText(row.before), 19), dim: true},
			{text: cell(snapshotText(row.after), 19)},
			{text: cell(String(row.restarts), 9), color: row.restarts > 0 ? palette.warn : undefined},
			{text: clean(result), color: row.ok ? palette.ok : palette.bad, bold: !row.ok},
		]);
	}

	if (shown.length < ordered.length) {
		lines.push([{text: `  … and ${ordered.length - shown.length} more (all ok)`, dim: true}]);
	}

	return lines.map(line => line.length > 0 ? line : [{text: ''}]).slice(0, Math.max(0, width > 0 ? maxRows : 0));
}

/** The question at the bottom of the pane (empty when none). */
export function promptLines(state: UpdateViewState, width: number, palette: Palette): Lines {
	const {prompt} = state;
	if (!prompt) {
		return [];
	}

	switch (prompt.kind) {
		case 'source': {
			const names = prompt.devices.join(', ');
			return [[
				{text: `${names}: `, bold: true},
				{text: 'b build with your gok (gok overwrite --gaf) · a push an archive file (.gaf) · Esc close', color: palette.accent},
			]];
		}

		case 'path': {
			const lines: Lines = [[
				{text: `archive for ${prompt.devices.join(', ')}: `, bold: true},
				{text: prompt.text},
				{text: ' ', inverse: true},
				{text: '  Enter push · Esc cancel', color: palette.muted},
			]];
			if (prompt.error) {
				lines.push([{text: clean(prompt.error), color: palette.bad, bold: true}]);
			}

			return lines;
		}

		case 'confirm': {
			const question = `${prompt.plan.kind === 'rollback' ? 'Roll back' : 'Update'} ${prompt.device} to ${buildText(prompt.plan.to)}?`;
			const update = prompt.plan.kind === 'update' && prompt.plan.reboot;
			const switchOnly = update ? ' · s push and switch, reboot later' : '';
			const testboot = update && prompt.plan.mode !== 'testboot' ? ' · t test boot' : '';
			return [[{text: question, bold: true, color: palette.warn}, {text: `  y yes${testboot}${switchOnly} · n no (nothing is sent)`, color: palette.muted}]];
		}

		case 'rollback': {
			return [[
				{text: `Roll back ${prompt.device} to its previous build: type its name to confirm: `, bold: true, color: palette.warn},
				{text: prompt.typed},
				{text: ' ', inverse: true},
				{text: prompt.wrong ? '  not its name' : '  Enter · Esc cancel', color: prompt.wrong ? palette.bad : palette.muted},
			]];
		}

		case 'quit': {
			const running = state.session?.devices.find(device => {
				const phase = state.jobs[device]?.phase;
				return phase !== undefined && phase !== 'queued' && phase !== 'done' && phase !== 'failed';
			});
			const phase = running ? state.jobs[running]?.phase : undefined;
			return [[
				{text: `A job runs on ${running ?? 'a device'}${phase ? ` (${phase})` : ''}: quit and cancel it? `, bold: true, color: palette.bad},
				{text: 'y quit (the pane says where it stands first) · n stay', color: palette.muted},
			]];
		}
	}

	return [];
}

function planLines(job: DeviceJobView, width: number, palette: Palette): Lines {
	const plan = job.plan;
	if (!plan) {
		return [];
	}

	const lines: Lines = [
		[{text: cell('running', 10), dim: true}, {text: buildText(plan.from)}, {text: `  (${buildClock(plan.from)})`, dim: true}],
		[{text: cell(plan.kind === 'rollback' ? 'back to' : 'new', 10), dim: true}, {text: buildText(plan.to), bold: true}, {text: plan.archive ? `  from ${clean(plan.archive)}` : '', dim: true}],
	];
	if (plan.diff) {
		const changes: Segment[] = [
			...plan.diff.added.map(name => ({text: `+${clean(name)} `, color: palette.ok})),
			...plan.diff.removed.map(name => ({text: `-${clean(name)} `, color: palette.bad})),
			...plan.diff.changed.map(name => ({text: `~${clean(name)} `, color: palette.warn})),
		];
		lines.push([{text: cell('packages', 10), dim: true}, ...(changes.length === 0 ? [{text: 'no package changes'}] : changes)]);
	}

	for (const note of plan.notes) {
		for (const text of wrapWords(clean(note), Math.max(10, width - 10), 2)) {
			lines.push([{text: cell('note', 10), dim: true}, {text, color: palette.muted}]);
		}
	}

	return lines;
}

function waitLine(job: DeviceJobView, palette: Palette): Segment[] | undefined {
	const wait = job.wait;
	if (job.phase === 'reboot' && !wait) {
		return [{text: cell('reboot', 10), dim: true}, {text: 'rebooting…', color: palette.warn}];
	}

	if (!wait) {
		return undefined;
	}

	if (wait.state === 'back') {
		return [{text: cell('reboot', 10), dim: true}, {text: `back after ${wait.seconds} s: ${buildChange(wait.from, wait.to)}`, color: palette.ok, bold: true}, {text: `  ${buildText(wait.to)}`, dim: true}];
	}

	return [{text: cell('reboot', 10), dim: true}, {text: wait.state === 'away' ? `away ${wait.seconds} s` : 'rebooting (still answering)', color: palette.warn}];
}

function verdictLines(job: DeviceJobView, width: number, palette: Palette, readonly: boolean): Lines {
	if (job.phase === 'done' && job.result) {
		const {result} = job;
		if (result.standing === 'switched') {
			return [[{text: '● pushed and switched, reboot pending: ', bold: true, color: palette.warn}, {text: `it runs ${buildText(result.from)} until its next reboot`}]];
		}

		const failing = result.services.filter(row => !row.ok).length;
		return [[
			{text: `✓ health gate passed`, bold: true, color: palette.ok},
			{text: `: ${result.services.length} services, ${failing} failing · ${result.kind === 'rollback' ? 'rolled back' : 'updated'} ${buildChange(result.from, result.to)} · down ${result.downtimeSeconds ?? '?'} s${result.committed ? ' · test boot made permanent' : ''}`},
		]];
	}

	if (job.phase === 'failed' && job.failure) {
		const lines: Lines = wrapWords(clean(job.failure.message), Math.max(10, width - 2), 4).map((text, index) => [
			{text: index === 0 ? '✗ ' : '  ', bold: true, color: palette.bad},
			{text, color: palette.bad, bold: index === 0},
		]);
		if (job.failure.phase === 'gate' && !readonly) {
			lines.push([{text: '  R rolls back to the previous build (type the name to confirm)', bold: true, color: palette.warn}]);
		}

		return lines;
	}

	return [];
}

/** Every line of the pane for the state, at most `rows`, each cut to `width` by the Line that draws it. */
export function updatePaneLines(state: UpdateViewState, options: {width: number; rows: number; palette: Palette; readonly?: boolean}): Lines {
	const {width, rows, palette} = options;
	const readonly = options.readonly ?? false;
	const session = state.session;
	const device = state.focus;
	const job = device ? state.jobs[device] : undefined;
	const kind = session?.kind ?? job?.kind ?? 'update';
	const head: Lines = [[{text: rule(`${kind === 'rollback' ? 'Rollback' : 'Update'} · ${device ?? ''}${session && session.devices.length > 1 ? ` · device ${session.devices.indexOf(device ?? '') + 1} of ${session.devices.length}` : ''}`, width), bold: true}]];
	if (session && session.devices.length > 1) {
		const fleet: Segment[] = [];
		for (const name of session.devices) {
			const entry = state.jobs[name];
			const word = entry ? jobWord(entry) : 'queued';
			const tone = word.startsWith('✓') ? palette.ok : word.startsWith('✗') ? palette.bad : word.startsWith('▶') ? palette.accent : palette.muted;
			fleet.push({text: `${name} `, bold: name === device}, {text: `${word}   `, color: tone});
		}

		head.push(fleet);
	}

	const bottom = [...promptLines(state, width, palette)];
	if (state.notice) {
		bottom.unshift([{text: clean(state.notice.text), color: state.notice.tone === 'error' ? palette.bad : palette.ok}]);
	}

	if (!job) {
		return [...head, ...bottom].slice(0, rows);
	}

	const middle: Lines = [];
	middle.push(...planLines(job, width, palette));
	if (job.parts.length > 0) {
		middle.push([{text: 'push', dim: true}]);
		middle.push(...job.parts.map(part => partLine(part, palette)));
	}

	if (job.switched) {
		const text = job.switched === 'commit'
			? 'the test boot passed: switched for good'
			: job.switched === 'testboot' ? 'testboot set: the next boot tries the new build once' : 'switched to the other root partition: the next boot starts its build';
		middle.push([{text: cell('switch', 10), dim: true}, {text}]);
	}

	const wait = waitLine(job, palette);
	if (wait) {
		middle.push(wait);
	}

	const verdict = verdictLines(job, width, palette, readonly);
	const gateRows = job.result?.services ?? job.failure?.rows ?? job.gate?.rows;
	let gateTitle: Lines = [];
	if (gateRows && gateRows.length > 0) {
		const failing = gateRows.filter(row => !row.ok).length;
		const title = job.phase === 'gate'
			? `health gate: ${job.gate?.remainingSeconds ?? '?'} s left, ${gateRows.length} services, ${failing} failing`
			: `health gate: ${gateRows.length} services, ${failing} failing`;
		gateTitle = [[{text: cell('gate', 10), dim: true}, {text: title, color: failing > 0 ? palette.bad : undefined}]];
	}

	// gok's output takes what is left, newest last; while building it is the pane's main content.
	const fixed = head.length + middle.length + gateTitle.length + verdict.length + bottom.length;
	let room = Math.max(0, rows - fixed);
	const gate = gateRows && gateRows.length > 0 ? gateLines(gateRows, width, Math.min(room, gateRows.length + 1), palette) : [];
	room -= gate.length;
	const showBuild = job.buildLines.length > 0 && (job.phase === 'build' || job.failure?.phase === 'build' || room > 2);
	const buildLines: Lines = showBuild && room > 1
		? [[{text: 'gok', dim: true}], ...job.buildLines.slice(-(room - 1)).map(line => [{text: `  ${clean(line)}`, dim: job.phase !== 'build'}])]
		: [];
	const lines = [...head, ...buildLines, ...middle, ...gateTitle, ...gate, ...verdict];
	const fill = Math.max(0, rows - lines.length - bottom.length);
	return [...lines.slice(0, rows - bottom.length), ...Array.from({length: fill}, () => [{text: ''}]), ...bottom].slice(0, rows);
}

/** The pane's hint line for its current context. */
export function updateHints(state: UpdateViewState, readonly = false): string {
	const context = paneContext(state);
	const except = readonly ? (['rollback'] as const) : [];
	return updateKeys.contextHints(context, [...except]);
}
