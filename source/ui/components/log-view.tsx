// The log screen: stdout and stderr together with the stream marked, follow or paused, search highlights, lost-line markers.
import React from 'react';
import {Box, Text} from 'ink';
import type {LogFollowerState, LogBuffer} from '../../core/log-buffer.js';
import type {ServiceSnapshot} from '../../core/fleet-store.js';
import {fit, rule} from '../../display/columns.js';
import {clean} from '../../display/device-text.js';
import {dashboardKeys} from '../dashboard-keys.js';
import {logWindow, type LogRow, type LogViewState} from '../log-view-state.js';
import {usePalette, type Palette} from '../theme.js';
import {Line, type Segment} from './line.js';

/** Lines of the log screen that are not log: title, status, footer. */
export const logChromeRows = 3;

function highlight(row: LogRow, query: string, current: boolean, palette: Palette): Segment[] {
	if (query === '') {
		return [{text: row.text}];
	}

	// Matching is done on the whole entry's text, so a match across a wrap point still lights up on both rows.
	const lower = row.text.toLowerCase();
	const needle = query.toLowerCase();
	const segments: Segment[] = [];
	let index = 0;
	while (index < row.text.length) {
		const found = lower.indexOf(needle, index);
		if (found === -1) {
			segments.push({text: row.text.slice(index)});
			break;
		}

		if (found > index) {
			segments.push({text: row.text.slice(index, found)});
		}

		segments.push({
			text: row.text.slice(found, found + needle.length),
			inverse: true,
			bold: current,
			underline: current,
			color: current ? palette.warn : undefined,
		});
		index = found + needle.length;
	}

	return segments;
}

export function logRowSegments(row: LogRow, options: {search: string; currentMatch: number | null; width: number; palette: Palette}): Segment[] {
	const {palette, width} = options;
	if (row.kind === 'gap') {
		return [{text: fit(`┄┄ ${row.text} ┄┄`, width), color: palette.warn, bold: true}];
	}

	const prefix = row.continuation ? '   ┆' : row.stream === 'stderr' ? 'err│' : 'out│';
	const prefixColor = row.stream === 'stderr' ? palette.stderr : palette.stdout;
	const segments: Segment[] = [
		{text: prefix, color: prefixColor, dim: row.continuation},
		...highlight(row, options.search, options.currentMatch === row.seq, palette),
	];
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
	const window = buffer ? logWindow(state, {buffer, rows: paneRows, width}) : null;
	const mode = state.follow ? 'following ▼' : window?.atEnd ? 'paused at the end' : 'paused ▲ (G follows)';
	const parts = [`Logs · ${clean(device)} ${clean(service)}`, mode];
	if (state.search) {
		parts.push(`search "${state.search}": ${window?.matchCount ?? 0}`);
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

		status.push({text: ` · ${buffer.size}/${buffer.capacity} lines · ${state.streams === 'both' ? 'stdout+stderr' : `${state.streams} only`}${state.wrap ? ' · wrapped' : ''}`});
		if (buffer.evicted > 0) {
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
			{text: '  Enter applies · Esc cancels', color: palette.muted},
		];
	} else if (state.notice) {
		footer = [{text: state.notice, color: palette.warn}];
	} else {
		footer = [{
			text: dashboardKeys.hints(['back', 'logSearch', 'logNext', 'logFilter', 'logFollow', 'logStream', 'logWrap', 'logSave', 'restart', 'help'], {readonly}),
			color: palette.muted,
		}];
	}

	const rowsShown = window?.rows ?? [];
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(parts.join(' · '), width), color: palette.title, bold: true}]} />
			<Line segments={status} />
			<Box flexDirection="column" height={paneRows}>
				{rowsShown.length === 0 ? (
					<Text dimColor>{buffer && buffer.size > 0 ? '(no line matches the stream choice and filter)' : '(no lines yet: a quiet service sends nothing until it prints)'}</Text>
				) : rowsShown.map(row => (
					<Line
						key={`${row.seq}:${row.offset}`}
						segments={logRowSegments(row, {search: state.search, currentMatch: state.currentMatch, width, palette})}
					/>
				))}
			</Box>
			<Line segments={footer} />
		</Box>
	);
}
