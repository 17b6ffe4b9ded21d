// The services of the selected device: path, state (crash-looping included), pid, uptime, RSS with sparkline, last line.
import React from 'react';
import {Box} from 'ink';
import type {DeviceSnapshot, ServiceSnapshot} from '../../core/fleet-store.js';
import {actionLook, healthLook, lookText, stateLook, type Tone} from '../../display/vocabulary.js';
import {cell, fit, rule, textWidth} from '../../display/columns.js';
import {shortBytes, shortDuration} from '../../display/units.js';
import {clean, deviceTitle} from '../../display/device-text.js';
import {ownRange, sparkline} from '../../display/sparkline.js';
import {toneColor, usePalette, type Palette} from '../theme.js';
import {windowStart, type ColumnMode, type TableWindowProps} from '../fleet-layout.js';
import type {RowNote} from './device-table.js';
import {Line, type Segment} from './line.js';

/** How long a finished action stays in the row ("restarted: pid 412 → 513"). */
export const actionResultMs = 15_000;

type Columns = {path: number; state: number; pid: number; uptime: number; rss: number; spark: number; last: number};

/** The widest state label ("! crash-looping") and a space: every state fits, whatever else is cut. */
const stateWidth = 16;

function columnsFor(width: number, mode: ColumnMode, longestPath = 20): Columns {
	if (mode === 'narrow') {
		const pid = 7;
		return {path: Math.max(6, width - 2 - stateWidth - pid), state: stateWidth, pid, uptime: 0, rss: 0, spark: 0, last: 0};
	}

	const path = Math.max(10, Math.min(longestPath + 2, mode === 'wide' ? 30 : 22));
	const spark = mode === 'wide' ? 16 : 6;
	const fixed = 2 + path + stateWidth + 7 + 7 + 6 + spark + 1;
	return {path, state: stateWidth, pid: 7, uptime: 7, rss: 6, spark, last: Math.max(0, width - fixed)};
}

function longestPathOf(services: readonly ServiceSnapshot[]): number {
	let longest = 8;
	for (const service of services) {
		longest = Math.max(longest, textWidth(clean(service.path)));
	}

	return longest;
}

export function serviceHeaderSegments(width: number, mode: ColumnMode, longestPath?: number): Segment[] {
	const c = columnsFor(width, mode, longestPath);
	let text = `  ${cell('SERVICE', c.path)}${cell('STATE', c.state)}${cell('PID', c.pid)}`;
	if (mode !== 'narrow') {
		text += `${cell('UPTIME', c.uptime)}${cell('RSS', c.rss)}${fit('', c.spark + 1)}${fit('LAST LINE', c.last)}`;
	}

	return [{text: fit(text, width), bold: true}];
}

/** What the state cell says: the action in progress wins over the device's word. */
function stateText(service: ServiceSnapshot, now: number): {text: string; tone: Tone; strong: boolean} {
	const action = service.action;
	if (action?.phase === 'pending') {
		return {text: `${actionLook.pending.mark} ${action.text}`, tone: actionLook.pending.tone, strong: true};
	}

	const look = stateLook[service.state];
	if (action?.phase === 'failed' && action.finishedAt !== null && now - action.finishedAt < actionResultMs) {
		return {text: lookText(look), tone: actionLook.failed.tone, strong: false};
	}

	return {text: lookText(look), tone: look.tone, strong: service.state === 'crash-looping'};
}

/** A quarter above the largest value, so a steady figure draws as a steady bar, not a wall of full blocks. */
export function headroom(values: readonly (number | null)[]): number | undefined {
	let max = 0;
	for (const value of values) {
		if (value !== null && value > max) {
			max = value;
		}
	}

	return max > 0 ? max * 1.25 : undefined;
}

/** The init's own lines start with "2026/11/25 18:28:34 ": in a narrow cell the date is noise. */
function withoutLogDate(text: string): string {
	return text.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '');
}

function lastLine(service: ServiceSnapshot, now: number): {text: string; fromAction: boolean; failed: boolean} {
	const action = service.action;
	if (action && (action.phase === 'pending' || (action.finishedAt !== null && now - action.finishedAt < actionResultMs))) {
		return {text: action.text, fromAction: true, failed: action.phase === 'failed'};
	}

	const {stdout, stderr} = service.lastLog;
	// A crashing or stopped service's story is on stderr (the init writes "exit status 1" there).
	const preferErr = service.state !== 'running';
	const first = preferErr ? stderr : stdout;
	const second = preferErr ? stdout : stderr;
	if (first !== undefined) {
		return {text: `${preferErr ? 'err' : 'out'}: ${withoutLogDate(clean(first))}`, fromAction: false, failed: false};
	}

	if (second !== undefined) {
		return {text: `${preferErr ? 'out' : 'err'}: ${withoutLogDate(clean(second))}`, fromAction: false, failed: false};
	}

	return {text: '', fromAction: false, failed: false};
}

/**
 * `stale`: the device stopped answering; `seenAt`: when it last did. A stale row is dimmed and its uptime frozen at
 * the last answer: nobody knows what the service did since.
 */
export function serviceRowSegments(service: ServiceSnapshot, options: {width: number; mode: ColumnMode; selected: boolean; focused: boolean; stale: boolean; seenAt?: number | null; now: number; palette: Palette; longestPath?: number; note?: RowNote}): Segment[] {
	const {width, mode, selected, focused, stale, palette, note} = options;
	const now = stale && options.seenAt !== undefined && options.seenAt !== null ? options.seenAt : options.now;
	const c = columnsFor(width, mode, options.longestPath);
	const state = stateText(service, now);
	const startTime = service.status.startTime?.getTime();
	const running = service.state !== 'stopped';
	const recentAction = service.action?.phase === 'done' && service.action.finishedAt !== null && now - service.action.finishedAt < actionResultMs;
	const segments: Segment[] = [
		{text: selected ? (focused ? '▸ ' : '› ') : '  ', bold: true},
		{text: cell(clean(service.path), c.path), bold: selected},
		{text: cell(state.text, c.state), color: toneColor(palette, state.tone), bold: state.strong},
		{text: cell(service.status.pid > 0 ? String(service.status.pid) : '-', c.pid), bold: recentAction, color: recentAction ? palette.ok : undefined},
	];
	if (mode === 'narrow') {
		return stale ? segments.map(segment => ({...segment, dim: true, color: palette.muted})) : segments;
	}

	const last = lastLine(service, now);
	segments.push(
		{text: cell(running && startTime !== undefined ? shortDuration(now - startTime) : '-', c.uptime)},
		{text: cell(service.rss === null ? '-' : shortBytes(service.rss), c.rss)},
		{text: fit(sparkline(service.rssHistory.values, {width: c.spark, ...ownRange(service.rssHistory.values.slice(-c.spark))}), c.spark + 1), color: palette.accent},
		// A note (a Prometheus alert on the service) takes the last line's place.
		note ? {text: fit(note.text, c.last), color: toneColor(palette, note.tone), bold: true} : {
			text: fit(last.text, c.last),
			color: last.failed ? palette.bad : last.fromAction ? palette.ok : palette.muted,
			bold: last.fromAction,
		},
	);
	return stale ? segments.map(segment => ({...segment, dim: true, color: palette.muted})) : segments;
}

export function ServiceTable({device, services, selected, focused, rows, width, mode, now, filter, note}: TableWindowProps & {
	device: DeviceSnapshot | undefined;
	services: readonly ServiceSnapshot[];
	filter: string;
	note?: (service: ServiceSnapshot) => RowNote | undefined;
}) {
	const palette = usePalette();
	const selectedIndex = Math.max(0, services.findIndex(service => service.path === selected));
	const start = windowStart(services.length, rows, selectedIndex, selectedIndex - Math.floor(rows / 2));
	const shown = services.slice(start, start + rows);
	const stale = device ? device.stale : false;
	const more = services.length > rows ? ` ${start + 1}–${start + shown.length} of ${services.length}` : '';
	const name = device ? deviceTitle(device) : '';
	const longestPath = longestPathOf(services);
	let title = device ? `Services · ${name}${more}` : 'Services';
	if (device?.target.sources) {
		// One row for a device known twice: say both.
		title += ` · ${device.target.sources.map(source => `${source.source === 'gok' ? 'gok instance' : 'saved device'} ${clean(source.name)}`).join(' + ')}`;
	}

	if (filter) {
		title += ` · filter "${filter}"`;
	}

	if (device && device.stale) {
		const retry = device.nextAttemptAt === null ? '' : `, retrying in ${Math.max(0, Math.ceil((device.nextAttemptAt - now) / 1000))} s`;
		title += ` · STALE: last known data (${healthLook[device.health].words}${retry})`;
	}

	let empty = '';
	if (!device) {
		empty = 'no device selected';
	} else if (services.length === 0) {
		empty = device.overview === null
			? (device.error ? clean(device.error) : 'waiting for the first answer…')
			: (filter ? 'no service matches the filter' : 'the device lists no services');
	}

	return (
		<Box flexDirection="column" width={width} height={rows + 2}>
			<Line segments={[{text: rule(title, width), color: palette.title, bold: focused}]} />
			<Line segments={serviceHeaderSegments(width, mode, longestPath)} />
			{empty ? (
				<Line segments={[{text: `  ${empty}`, color: device?.error && !device.overview ? palette.bad : undefined, dim: !device?.error}]} />
			) : shown.map(service => (
				<Line
					key={service.path}
					inverse={service.path === selected && focused}
					segments={serviceRowSegments(service, {width, mode, selected: service.path === selected, focused, stale, seenAt: device?.lastSeen, now, palette, longestPath, note: note?.(service)})}
				/>
			))}
		</Box>
	);
}
