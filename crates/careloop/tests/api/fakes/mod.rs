//! Local fakes of the providers CareLoop sends through: each checks what the provider checks
//! and answers as it answers, on a random loopback port.

pub mod aliyun_sms;
