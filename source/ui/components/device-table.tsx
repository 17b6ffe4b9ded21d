// The device list: health in a mark and in words, host, model, build age, memory with its sparkline, service counts.
import React from 'react';
import {Box} from 'ink';
import type {DeviceSnapshot} from '../../core/fleet-store.js';
import {cell, fit, textWidth} from '../../display/columns.js';
import {agoText, shortBytes, shortDuration} from '../../display/units.js';
import {clean} from '../../display/device-text.js';
import {sparkline} from '../../display/sparkline.js';
import {healthLook, lookText, type Tone} from '../../display/vocabulary.js';
import {toneColor, usePalette, type Palette} from '../theme.js';
import {windowStart, type ColumnMode, type TableWindowProps} from '../fleet-layout.js';
import {Line, type Segment} from './line.js';

/** What a row says besides the device's own state (an update's progress, drift): in place of the model / last seen. */
export type RowNote = {readonly text: string; readonly tone: Tone};

type Columns = {health: number; host: number; model: number; age: number; mem: number; spark: number; services: number};

function columnsFor(width: number, mode: ColumnMode): Columns {
	const health = 17;
	if (mode === 'narrow') {
		return {health, host: Math.max(6, width - 2 - health), model: 0, age: 0, mem: 0, spark: 0, services: 0};
	}

	const spark = mode === 'wide' ? 16 : 6;
	const host = mode === 'wide' ? 18 : 13;
	const fixed = 2 + health + host + 6 + 6 + spark + 1 + 12;
	return {health, host, model: Math.max(6, width - fixed), age: 6, mem: 6, spark, services: 12};
}

function buildAge(timestamp: string | undefined, now: number): string {
	if (!timestamp) {
		return '-';
	}

	const time = Date.parse(timestamp);
	return Number.isNaN(time) ? '?' : shortDuration(now - time);
}

export function deviceHeaderSegments(width: number, mode: ColumnMode): Segment[] {
	const c = columnsFor(width, mode);
	let text = `  ${cell('HEALTH', c.health)}${cell('HOST', c.host)}`;
	if (mode !== 'narrow') {
		text += `${cell('MODEL', c.model)}${cell('BUILT', c.age)}${cell('MEM', c.mem)}${fit('', c.spark + 1)}${fit('SERVICES', c.services)}`;
	}

	return [{text: fit(text, width), bold: true}];
}

export function deviceRowSegments(device: DeviceSnapshot, options: {width: number; mode: ColumnMode; selected: boolean; focused: boolean; now: number; palette: Palette; marked?: boolean; note?: RowNote}): Segment[] {
	const {width, mode, selected, focused, now, palette, note} = options;
	const c = columnsFor(width, mode);
	const pointer = `${selected ? (focused ? '▸' : '›') : ' '}${options.marked ? '*' : ' '}`;
	const offline = device.health !== 'online';
	const power = device.power && device.power.phase !== 'failed' && !(device.power.phase === 'done' && device.power.kind === 'reboot') ? ` (${device.power.text})` : '';
	const look = healthLook[device.health];
	const healthWords = `${lookText(look)}${power}`;
	const overview = device.overview;
	const host = clean(overview?.hostname) || device.name;
	const segments: Segment[] = [
		{text: pointer, bold: true},
		{text: cell(healthWords, c.health), color: toneColor(palette, look.tone), bold: device.health !== 'online'},
	];
	if (mode === 'narrow') {
		segments.push({text: cell(host, c.host), dim: offline && device.stale, bold: selected});
		return segments;
	}

	if (note) {
		const hostWidth = Math.min(c.host, textWidth(host) + 2);
		segments.push(
			{text: cell(host, hostWidth), dim: offline && device.stale, bold: selected},
			{text: cell(note.text, c.host + c.model - hostWidth), color: toneColor(palette, note.tone), bold: true},
		);
	} else if (offline) {
		// Offline, the model matters less than when the device was last heard of: the two columns become one.
		const seen = device.lastSeen === null
			? (device.health === 'connecting' ? 'connecting…' : 'never seen')
			: `last seen ${agoText(now - device.lastSeen)}`;
		const hostWidth = Math.min(c.host, textWidth(host) + 2);
		segments.push(
			{text: cell(host, hostWidth), dim: device.stale, bold: selected},
			{text: cell(seen, c.host + c.model - hostWidth), color: toneColor(palette, look.tone)},
		);
	} else {
		segments.push(
			{text: cell(host, c.host), bold: selected},
			{text: cell(clean(overview?.model) || '-', c.model), dim: true},
		);
	}

	const memory = device.memory;
	const counts = device.counts;
	const countText = `${counts.running}▶ ${counts.stopped}■ ${counts.restarting + counts.crashLooping}↻`;
	segments.push(
		{text: cell(buildAge(overview?.buildTimestamp, now), c.age), dim: offline},
		{text: cell(memory ? shortBytes(memory.used) : '-', c.mem), dim: offline},
		{
			text: fit(sparkline(device.memoryHistory.values, {width: c.spark, min: 0, max: memory?.total}), c.spark + 1),
			color: palette.accent,
			dim: offline,
		},
		{text: cell(overview ? countText : '', c.services - 3), dim: offline},
		{text: counts.crashLooping > 0 ? fit(`${counts.crashLooping}!`, 3) : '   ', color: palette.bad, bold: true},
	);
	return segments;
}

export function DeviceTable({devices, selected, focused, rows, width, mode, now, marked, note}: TableWindowProps & {
	devices: readonly DeviceSnapshot[];
	/** Devices marked for an update of several (a `*` after the pointer). */
	marked?: readonly string[];
	note?: (device: DeviceSnapshot) => RowNote | undefined;
}) {
	const palette = usePalette();
	const selectedIndex = Math.max(0, devices.findIndex(device => device.name === selected));
	const start = windowStart(devices.length, rows, selectedIndex, selectedIndex - Math.floor(rows / 2));
	const shown = devices.slice(start, start + rows);
	return (
		<Box flexDirection="column" width={width} height={rows + 1}>
			<Line segments={deviceHeaderSegments(width, mode)} />
			{shown.length === 0 ? (
				<Line segments={[{text: 'no devices match the filter', dim: true}]} />
			) : shown.map(device => (
				<Line
					key={device.name}
					inverse={device.name === selected && focused}
					segments={deviceRowSegments(device, {width, mode, selected: device.name === selected, focused, now, palette, marked: marked?.includes(device.name), note: note?.(device)})}
				/>
			))}
		</Box>
	);
}
