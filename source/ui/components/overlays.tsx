// The message log (`m`) and the command palette (`:`): drawn over the body, under the title, above the key hints.
import React from 'react';
import {Box} from 'ink';
import type {Message, PaletteCommand} from '../dashboard-state.js';
import {cell, fit, rule, wrapFully} from '../../display/columns.js';
import {clockTime} from '../../display/units.js';
import {clean} from '../../display/device-text.js';
import {usePalette, type Palette} from '../theme.js';
import {Line, type Segment} from './line.js';

function toneColor(palette: Palette, tone: Message['tone']): string | undefined {
	return tone === 'error' ? palette.bad : tone === 'warn' ? palette.warn : undefined;
}

/** Every message as wrapped lines, oldest first: a time, then the text in full (never cut). */
export function messageLines(messages: readonly Message[], width: number, palette: Palette): Segment[][] {
	const lines: Segment[][] = [];
	const textWidth = Math.max(10, width - 9);
	for (const message of messages) {
		const wrapped = wrapFully(clean(message.text), textWidth);
		for (const [index, text] of wrapped.entries()) {
			lines.push([
				{text: fit(index === 0 ? clockTime(message.at) : '', 9), color: palette.muted},
				{text, color: toneColor(palette, message.tone)},
			]);
		}
	}

	return lines;
}

/** `offset`: lines scrolled back from the newest. */
export function MessageLog({messages, rows, width, offset}: {messages: readonly Message[]; rows: number; width: number; offset: number}) {
	const palette = usePalette();
	const lines = messageLines(messages, width, palette);
	const bodyRows = Math.max(1, rows - 1);
	const back = Math.min(offset, Math.max(0, lines.length - bodyRows));
	const end = lines.length - back;
	const shown = lines.slice(Math.max(0, end - bodyRows), end);
	const title = `Messages · ${messages.length}${lines.length > bodyRows ? ' · ↑↓ PgUp PgDn scroll' : ''} · m or Esc closes`;
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(title, width), color: palette.title, bold: true}]} />
			{shown.length === 0 ? <Line segments={[{text: '  no messages yet', dim: true}]} /> : shown.map((segments, index) => (
				// Lines are positional within the window.
				<Line key={index} segments={segments} />
			))}
		</Box>
	);
}

export function CommandPalette({commands, text, index, rows, width}: {commands: readonly PaletteCommand[]; text: string; index: number; rows: number; width: number}) {
	const palette = usePalette();
	const listRows = Math.max(1, rows - 2);
	const selected = Math.min(index, Math.max(0, commands.length - 1));
	const start = Math.max(0, Math.min(selected - listRows + 1, commands.length - listRows));
	const shown = commands.slice(Math.max(0, start), Math.max(0, start) + listRows);
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(`Commands · ${commands.length} · type to filter, ↑↓ choose, Enter runs, Esc closes`, width), color: palette.title, bold: true}]} />
			<Line segments={[{text: ': ', bold: true}, {text}, {text: ' ', inverse: true}]} />
			{shown.length === 0 ? <Line segments={[{text: '  no command matches', dim: true}]} /> : shown.map(command => (
				<Line
					key={command.id}
					inverse={command.id === commands[selected]?.id}
					segments={[{text: '  '}, {text: cell(command.keys, 10), bold: true}, {text: command.label}]}
				/>
			))}
		</Box>
	);
}
