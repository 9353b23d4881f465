import './style.css';
import { App } from './app';

// The scripts run: the "cannot start" notice in index.html is not needed.
document.getElementById('boot-problem')?.remove();

const app = new App();
void app.start().catch((e: unknown) => {
  const b = document.getElementById('banner');
  if (b) b.textContent = String((e as Error)?.message ?? e);
});
(window as unknown as { tcplab?: App }).tcplab = app;
