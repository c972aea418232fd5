#!/usr/bin/python3
"""Writes ONNX LSTM / GRU / RNN cases in the backend node-test layout (model.onnx,
test_data_set_0/{input,output}_N.pb) into DIR, covering what the ONNX node tests do not:
reverse and bidirectional directions, layout 1, peepholes, initial states as inputs,
no bias. Expected outputs come from the NumPy recurrences below (the ONNX operator
equations, default activations), not from mlconv. Weights are initializers.

Usage: gen-recurrent-cases.py DIR, then
  MLCONV_ONNX_NODE_TESTS=DIR build/tests/mlconv_conformance_tests -tc='conformance: ONNX*'
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(7)
sig = lambda x: 1/(1+np.exp(-x))
def rnn_ref(op, X, W, R, B, h0, c0, P, direction, hidden, lbr=0):
    S, Bt, I = X.shape
    dirs = 2 if direction == 'bidirectional' else 1
    Y = np.zeros((S, dirs, Bt, hidden), np.float32); Yh = np.zeros((dirs, Bt, hidden), np.float32); Yc = np.zeros((dirs, Bt, hidden), np.float32)
    for d in range(dirs):
        back = direction == 'reverse' or d == 1
        h = h0[d].copy(); c = c0[d].copy() if c0 is not None else np.zeros_like(h)
        G = {'lstm': 4, 'gru': 3, 'rnn': 1}[op]
        Wd = W[d]; Rd = R[d]; bd = B[d] if B is not None else np.zeros(2*G*hidden, np.float32)
        Wb, Rb = bd[:G*hidden], bd[G*hidden:]
        blk = lambda M, k: M[k*hidden:(k+1)*hidden]
        for t in (range(S-1, -1, -1) if back else range(S)):
            x = X[t]
            if op == 'lstm':
                p = P[d] if P is not None else np.zeros(3*hidden, np.float32)
                i = sig(x@blk(Wd,0).T + h@blk(Rd,0).T + blk(Wb,0) + blk(Rb,0) + blk(p,0)*c)
                f = sig(x@blk(Wd,2).T + h@blk(Rd,2).T + blk(Wb,2) + blk(Rb,2) + blk(p,2)*c)
                g = np.tanh(x@blk(Wd,3).T + h@blk(Rd,3).T + blk(Wb,3) + blk(Rb,3))
                c = f*c + i*g
                o = sig(x@blk(Wd,1).T + h@blk(Rd,1).T + blk(Wb,1) + blk(Rb,1) + blk(p,1)*c)
                h = o*np.tanh(c)
            elif op == 'gru':
                z = sig(x@blk(Wd,0).T + h@blk(Rd,0).T + blk(Wb,0) + blk(Rb,0))
                r = sig(x@blk(Wd,1).T + h@blk(Rd,1).T + blk(Wb,1) + blk(Rb,1))
                hh = np.tanh(x@blk(Wd,2).T + (r*h)@blk(Rd,2).T + blk(Rb,2) + blk(Wb,2))
                h = (1-z)*hh + z*h
            else:
                h = np.tanh(x@Wd.T + h@Rd.T + Wb + Rb)
            Y[t, d] = h
        Yh[d] = h; Yc[d] = c
    return Y, Yh, Yc

def case(name, op, direction, layout=0, S=4, Bt=2, I=3, hidden=5, bias=True, init=False, peep=False):
    dirs = 2 if direction == 'bidirectional' else 1
    G = {'lstm': 4, 'gru': 3, 'rnn': 1}[op]
    f = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)
    X = f(S, Bt, I); W = f(dirs, G*hidden, I); R = f(dirs, G*hidden, hidden)
    B = f(dirs, 2*G*hidden) if bias else None
    h0 = f(dirs, Bt, hidden) if init else np.zeros((dirs, Bt, hidden), np.float32)
    c0 = f(dirs, Bt, hidden) if init and op == 'lstm' else (np.zeros((dirs, Bt, hidden), np.float32) if op == 'lstm' else None)
    P = f(dirs, 3*hidden) if peep else None
    Y, Yh, Yc = rnn_ref(op, X, W, R, B, h0, c0, P, direction, hidden)
    Xin = X.transpose(1, 0, 2) if layout else X
    if layout: Y = Y.transpose(2, 0, 1, 3); Yh = Yh.transpose(1, 0, 2); Yc = Yc.transpose(1, 0, 2)
    inits = [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(R, 'R')]
    ins = ['X', 'W', 'R', 'B' if bias else '']
    feeds = [('X', Xin)]
    if init or peep:
        ins += ['']  # sequence_lens
        ins += ['initial_h' if init else '']
        if op == 'lstm': ins += ['initial_c' if init else '']
        if init:
            hin = h0.transpose(1, 0, 2) if layout else h0
            feeds.append(('initial_h', hin))
            if op == 'lstm': feeds.append(('initial_c', c0.transpose(1, 0, 2) if layout else c0))
    if peep: ins += ['P']; inits.append(numpy_helper.from_array(P, 'P'))
    if bias: inits.append(numpy_helper.from_array(B, 'B'))
    outs = ['Y', 'Y_h'] + (['Y_c'] if op == 'lstm' else [])
    vals = [Y, Yh] + ([Yc] if op == 'lstm' else [])
    node = helper.make_node(op.upper(), ins, outs, hidden_size=hidden, direction=direction, layout=layout)
    g = helper.make_graph([node], name, [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape) for n, v in feeds],
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape) for n, v in zip(outs, vals)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)])
    d = os.path.join(sys.argv[1], name); os.makedirs(d + '/test_data_set_0', exist_ok=True)
    onnx.save(m, d + '/model.onnx')
    for k, (n, v) in enumerate(feeds):
        t = numpy_helper.from_array(v, n); open(f'{d}/test_data_set_0/input_{k}.pb', 'wb').write(t.SerializeToString())
    for k, (n, v) in enumerate(zip(outs, vals)):
        t = numpy_helper.from_array(v, n); open(f'{d}/test_data_set_0/output_{k}.pb', 'wb').write(t.SerializeToString())

for op in ['lstm', 'gru', 'rnn']:
    for direction in ['forward', 'reverse', 'bidirectional']:
        for layout in [0, 1]:
            case(f'x_{op}_{direction}_l{layout}', op, direction, layout, init=(layout == 1), peep=(op == 'lstm' and direction != 'forward'))
    case(f'x_{op}_bi_nobias_init', op, 'bidirectional', 0, bias=False, init=True)
