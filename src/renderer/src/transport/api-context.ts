import { createContext, useContext } from 'react';
import type { VeriDeskApi } from '../../../shared/contract';

export const ApiContext = createContext<VeriDeskApi | null>(null);

export function useApi(): VeriDeskApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('ApiContext missing');
  return api;
}
