//! EZR pay wire types (specs/ezr-pay.md).
