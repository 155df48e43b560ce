import type express from 'express'
import untyped from 'express4'

/**
 * Express 4 (the `express4` alias), typed as Express 5's export: the adapter uses only the API
 * the two share, and the compatibility tests use nothing else.
 */
export const express4: typeof express = untyped as typeof express
