// The help screen: every key, generated from the key table, scrollable when the terminal is short.
import React from 'react';
import {Box} from 'ink';
import {dashboardHelpSections, type HelpView as View} from '../dashboard-keys.js';
import {fit, rule} from '../../display/columns.js';
import {usePalette} from '../theme.js';
import {Line, type Segment} from './line.js';

export function helpLines(readonly: boolean, width: number, view?: View): Segment[][] {
	const lines: Segment[][] = [];
	for (const section of dashboardHelpSections({readonly, view})) {
		lines.push([{text: section.title, bold: true}]);
		for (const row of section.rows) {
			lines.push([{text: `  ${fit(row.keys, 16)}`, bold: true}, {text: fit(row.description, Math.max(0, width - 18))}]);
		}
	}

	if (readonly) {
		lines.push([{text: 'read-only: actions (restart, stop, start, once, kill, reboot, power off, shell, flash) are hidden', dim: true}]);
	}

	return lines;
}

/** `view`: the view the help was opened from; its keys come first. */
export function HelpView({readonly, rows, width, offset, view}: {readonly: boolean; rows: number; width: number; offset: number; view?: View}) {
	const palette = usePalette();
	const lines = helpLines(readonly, width, view);
	const bodyRows = Math.max(1, rows - 1);
	const maxOffset = Math.max(0, lines.length - bodyRows);
	const start = Math.min(offset, maxOffset);
	const shown = lines.slice(start, start + bodyRows);
	const more = lines.length > bodyRows ? ` · lines ${start + 1}–${start + shown.length} of ${lines.length} (↑↓ PgUp PgDn)` : '';
	return (
		<Box flexDirection="column" width={width} height={rows}>
			<Line segments={[{text: rule(`Keys${more} · ? or Esc closes`, width), color: palette.title, bold: true}]} />
			{shown.map((segments, index) => (
				// Lines are positional within the window.
				<Line key={start + index} segments={segments} />
			))}
		</Box>
	);
}
