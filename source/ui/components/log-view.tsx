// The log screen: stdout and stderr together with the stream marked, follow or paused, search highlights, lost-line markers.
import React, {useEffect} from 'react';
import {Box, Text} from 'ink';
import type {LogFollowerState, LogBuffer} from '../../core/log-buffer.js';
import type {ServiceSnapshot} from '../../core/fleet-store.js';
import {fit, rule, textWidth} from '../../display/columns.js';
import {clean} from '../../display/device-text.js';
import {dashboardKeys} from '../dashboard-keys.js';
import {logTimeWidth, logWindow, matchRanges, parseQuery, type LogRow, type LogViewState} from '../log-view-state.js';
import {usePalette, type Palette} from '../theme.js';
import {Line, type Segment} from './line.js';

/** Lines of the log screen that are not log: title, status, footer. */
export const logChromeRows = 3;

/**
 * The log title: what the view is doing (following or paused, the search position, the filter) is cut last; the
 * device's name gives way first (to 8 columns), then the end of the line. At 100 columns a paused view of a device named
 * by its host:port with 36 new lines lost its search position, which tells the user where they are.
 */
export function logTitle(device: string, service: string, parts: readonly string[], width: number): string {
	const whole = ['Logs ·', device, service].join(' ');
	const tail = parts.join(' · ');
	// rule() draws "── TITLE " and fills the rest with "─".
	const room = width - textWidth(`── Logs ·  ${service} · ${tail} `);
	const shown = room >= textWidth(device) ? whole : ['Logs ·', fit(device, Math.max(8, room)), service].join(' ');
	return [shown, tail].join(' · ');
}

function highlight(row: LogRow, query: string, current: boolean, palette: Palette): Segment[] {
	if (query === '') {
		return [{text: row.text}];
	}

	const segments: Segment[] = [];
	let index = 0;
	for (const [start, end] of matchRanges(row.text, parseQuery(query, {allowInverse: false}))) {
		if (start > index) {
			segments.push({text: row.text.slice(index, start)});
		}

		segments.push({
			text: row.text.slice(start, end),
			inverse: true,
			bold: current,
			underline: current,
			color: current ? palette.warn : undefined,
		});
		index = end;
	}

	if (index < row.text.length || segments.length === 0) {
		segments.push({text: row.text.slice(index)});
	}

	return segments;
}

/** `12:34:56.789`: the local time a line was received. */
export function receiveTime(at: number): string {
	const date = new Date(at);
	const two = (value: number) => String(value).padStart(2, '0');
	return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

export function logRowSegments(row: LogRow, options: {search: string; currentMatch: number | null; width: number; palette: Palette; times?: boolean; copy?: boolean}): Segment[] {
	const {palette, width} = options;
	if (options.copy) {
		// Copy mode: the text alone, so a mouse selection copies only what the service printed.
		return [{text: row.kind === 'gap' ? `[${row.text}]` : row.text}];
	}

	if (row.kind === 'gap') {
		return row.note
			? [{text: fit(`┄┄ ${row.text} ┄┄`, width), color: palette.muted}]
			: [{text: fit(`┄┄ ${row.text} ┄┄`, width), color: palette.warn, bold: true}];
	}

	const prefix = row.continuation ? '   ┆' : row.stream === 'stderr' ? 'err│' : 'out│';
	const prefixColor = row.stream === 'stderr' ? palette.stderr : palette.stdout;
	const segments: Segment[] = [];
	if (options.times) {
		segments.push({text: row.continuation || row.at === undefined ? ' '.repeat(logTimeWidth) : `${receiveTime(row.at)} `, color: palette.muted});
	}

	segments.push(
		{text: prefix, color: prefixColor, dim: row.continuation},
		...highlight(row, options.search, options.currentMatch === row.seq, palette),
	);
	if (row.cutFrom !== undefined && !row.continuation) {
		segments.push({text: ` … (${row.cutFrom} characters, cut)`, color: palette.muted});
	}

	return segments;
}

export function LogView({buffer, followerState, state, device, service, serviceInfo, rows, width, readonly}: {
	buffer: LogBuffer | null;
	followerState: LogFollowerState | null;
	state: LogViewState;
	device: string;
	service: string;
	serviceInfo: ServiceSnapshot | undefined;
	rows: number;
	width: number;
	readonly: boolean;
}) {
	const palette = usePalette();
	const paneRows = Math.max(1, rows - logChromeRows);
	// Paused means frozen: the buffer keeps every line from the view's first one on (within its byte budget). The pin
	// outlives this component on purpose: the help overlay replaces the view for a while, and the pause must hold.
	const pinAt = state.follow ? null : (buffer ? Math.max(state.topSeq, buffer.firstSeq) : null);
	useEffect(() => {
		buffer?.pin(pinAt);
	}, [buffer, pinAt]);
	const window = buffer ? logWindow(state, {buffer, rows: paneRows, width}) : null;
	const arrived = !state.follow && buffer && state.pausedAt !== null ? Math.max(0, buffer.nextSeq - state.pausedAt) : 0;
	const newLines = arrived > 0 ? `, ${arrived} new` : '';
	const mode = state.follow ? 'following ▼' : window?.atEnd ? `paused at the end${newLines}` : `paused ▲${newLines} (G follows)`;
	const parts = [mode];
	if (state.copy) {
		parts.push('copy mode: select with the mouse, v leaves');
	}

	if (state.search) {
		const count = window?.matchCount ?? 0;
		parts.push(`search "${state.search}": ${window?.matchIndex ? `${window.matchIndex}/${count}` : `${count} match${count === 1 ? '' : 'es'}`}`);
	}

	if (state.filter) {
		parts.push(`filter "${state.filter}"`);
	}

	// Status: connection, buffer use, what fell out of the ring, the service's state or action.
	const status: Segment[] = [];
	if (!followerState || !buffer) {
		status.push({text: 'connecting…', color: palette.muted});
	} else {
		if (followerState.ended) {
			status.push({text: `ended${followerState.error ? `: ${clean(followerState.error)}` : ''}`, color: palette.bad});
		} else if (followerState.connected) {
			status.push({text: 'connected', color: palette.ok});
		} else if (followerState.error) {
			status.push({text: `reconnecting: ${clean(followerState.error)}`, color: palette.bad});
		} else {
			status.push({text: 'waiting for the first line…', color: palette.muted});
		}

		const held = buffer.size > buffer.capacity ? `${buffer.size} lines (kept while paused; ${buffer.capacity} when following)` : `${buffer.size}/${buffer.capacity} lines`;
		status.push({text: ` · ${held} · ${state.streams === 'both' ? 'stdout+stderr' : `${state.streams} only`}${state.wrap ? ' · wrapped' : ''}`});
		if (buffer.pinnedDropped > 0) {
			status.push({text: ` · ${buffer.pinnedDropped} paused lines dropped (memory budget)`, color: palette.warn});
		} else if (buffer.cleared > 0 && buffer.evicted === 0) {
			status.push({text: ' · cleared', color: palette.muted});
		} else if (buffer.evicted > 0) {
			status.push({text: ` · ${buffer.evicted} older lines dropped (buffer full)`, color: palette.muted});
		}

		if (window && state.filter && window.visibleCount !== buffer.size) {
			status.push({text: ` · ${window.visibleCount} shown`});
		}
	}

	if (serviceInfo) {
		const action = serviceInfo.action;
		const pendingOrRecent = action && (action.phase === 'pending' || (action.finishedAt !== null && Date.now() - action.finishedAt < 15_000));
		status.push({
			text: ` · ${pendingOrRecent ? action.text : `${serviceInfo.state}, pid ${serviceInfo.status.pid}`}`,
			color: action?.phase === 'failed' && pendingOrRecent ? palette.bad : undefined,
		});
	} else {
		status.push({text: ' · the device no longer lists this service', color: palette.warn});
	}

	let footer: Segment[];
	if (state.input) {
		footer = [
			{text: state.input.kind === 'search' ? 'search: ' : 'filter: ', bold: true},
			{text: state.input.text},
			{text: ' ', inverse: true},
			{text: state.notice ? `  ${state.notice}` : '  Enter applies · Esc cancels · /re/ regex · !text inverts a filter', color: state.notice ? palette.warn : palette.muted},
		];
	} else if (state.notice) {
		footer = [{text: state.notice, color: palette.warn}];
	} else {
		footer = [{
			text: dashboardKeys.hints(['back', 'logSearch', 'logNext', 'logFilter', 'logFollow', 'logStream', 'logWrap', 'logTimes', 'logCopy', 'logSave', 'restart', 'help'], {readonly}),
			color: palette.muted,
		}];
	}

	const rowsShown = window?.rows ?? [];
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(logTitle(clean(device), clean(service), parts, width), width), color: palette.title, bold: true}]} />
			<Line segments={status} />
			<Box flexDirection="column" height={paneRows}>
				{rowsShown.length === 0 ? (
					<Text dimColor>{buffer && buffer.size > 0 ? '(no line matches the stream choice and filter)' : '(no lines yet: a quiet service sends nothing until it prints)'}</Text>
				) : rowsShown.map(row => (
					<Line
						key={`${row.seq}:${row.offset}`}
						segments={logRowSegments(row, {search: state.search, currentMatch: state.currentMatch, width, palette, times: state.times, copy: state.copy})}
					/>
				))}
			</Box>
			<Line segments={footer} />
		</Box>
	);
}
