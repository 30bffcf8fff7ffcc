import { Box, Text } from 'ink';
import { formatEta, type IndexStatusView, progressBar } from './progress-text.js';

export function IndexProgress({ status }: { status: IndexStatusView }) {
  const p = status.progress;
  if (!p || p.phase === 'scanning') {
    return <Text color="cyan">Scanning {status.container}…</Text>;
  }
  const pct = p.filesTotal > 0 ? Math.floor((p.filesDone / p.filesTotal) * 100) : 100;
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="green">{progressBar(p.filesDone, p.filesTotal)}</Text> {String(pct).padStart(3)}% {p.filesDone}/
        {p.filesTotal} files
      </Text>
      <Text dimColor>
        {p.chunks} chunks · {p.filesPerSecond} files/s · {p.filesIndexed} re-indexed, {p.filesUnchanged} unchanged · ETA{' '}
        {formatEta(p.etaSeconds)}
      </Text>
    </Box>
  );
}
