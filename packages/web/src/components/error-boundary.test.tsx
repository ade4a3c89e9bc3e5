// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './error-boundary';

afterEach(cleanup);

function Broken(): never {
  throw new Error('the view broke');
}

describe('ErrorBoundary', () => {
  it('shows what broke and a way out instead of a blank page', () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('This page hit an error');
    expect(alert.textContent).toContain('the view broke');
    screen.getByRole('button', { name: 'Reload' });
    expect(screen.getByRole('link', { name: 'Back to sessions' }).getAttribute('href')).toBe('/');
    quiet.mockRestore();
  });

  it('clears the error when the address changes', () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { rerender } = render(
      <ErrorBoundary resetKey="/a">
        <Broken />
      </ErrorBoundary>,
    );
    rerender(
      <ErrorBoundary resetKey="/b">
        <p>fine</p>
      </ErrorBoundary>,
    );
    screen.getByText('fine');
    quiet.mockRestore();
  });
});
