"""Phase 2: sequence models (RNN, LSTM, GRU, seq2seq) and backpropagation through time, in NumPy."""
