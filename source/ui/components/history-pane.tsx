// The history view of the selected device: 1 h / 24 h / 7 d read from Prometheus (ui/prometheus/).
import React from 'react';
import {Box} from 'ink';
import {usePalette} from '../theme.js';
import {historyLines} from '../prometheus/history-lines.js';
import type {PrometheusLinkState} from '../prometheus/prometheus-link.js';
import {Line} from './line.js';

export function HistoryPane({state, rows, width}: {state: PrometheusLinkState; rows: number; width: number}) {
	const palette = usePalette();
	return (
		<Box flexDirection="column" width={width} height={rows}>
			{historyLines(state, {width, rows, palette}).map((segments, index) => (
				// Lines are positional: the view is redrawn whole.
				<Line key={index} segments={segments} />
			))}
		</Box>
	);
}
