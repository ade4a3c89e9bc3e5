// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Sparkline } from './sparkline';

afterEach(cleanup);

describe('Sparkline', () => {
  it('scales values to the maximum, oldest on the left', () => {
    render(<Sparkline values={[0, 50, 100]} max={100} width={100} height={10} label="cpu" />);
    const line = screen.getByRole('img', { name: 'cpu' }).querySelector('polyline')!;
    expect(line.getAttribute('points')).toBe('0.0,9.0 50.0,5.0 100.0,1.0');
  });

  it('draws one sample as a flat line and none as an empty box', () => {
    const { rerender } = render(<Sparkline values={[5]} max={10} width={10} height={10} label="one" />);
    expect(screen.getByRole('img').querySelector('polyline')!.getAttribute('points')).toBe(
      '0.0,5.0 10.0,5.0',
    );
    rerender(<Sparkline values={[]} label="none" />);
    expect(screen.getByRole('img').querySelector('polyline')).toBeNull();
  });
});
