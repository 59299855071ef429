/** A one-line progress bar on a terminal; nothing per batch when stderr is not a TTY (plain epoch lines only). */
export function progressBar(label = 'epoch'): (epoch: number, batch: number, total: number) => void {
  if (!process.stderr.isTTY) return () => {};
  const width = 30;
  return (epoch, batch, total) => {
    const filled = Math.round((batch / total) * width);
    process.stderr.write(
      `\r${label} ${epoch + 1} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${batch}/${total}`,
    );
    if (batch === total) process.stderr.write('\r\x1b[K');
  };
}

export const logLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
