package alipay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestParseTime_FormatsAlipaySends(t *testing.T) {
	bj := clock.Beijing()
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2016-07-19 14:10:47", time.Date(2016, 7, 19, 14, 10, 47, 0, bj), true},
		{"2015-04-28 15:45:57.320", time.Date(2015, 4, 28, 15, 45, 57, 320_000_000, bj), true},
		{"2015-04-28 15:45:57.3", time.Date(2015, 4, 28, 15, 45, 57, 300_000_000, bj), true},
		{"", time.Time{}, true},
		{"2016-02-30 00:00:00", time.Time{}, false},
		{"2016-07-19 24:00:00", time.Time{}, false},
		{"2016-07-19T14:10:47", time.Time{}, false},
		{"2016-07-19 14:10:47.", time.Time{}, false},
		{"2016-07-19 14:10:47.1234567890", time.Time{}, false},
		{"2016-7-19 14:10:47", time.Time{}, false},
		{"２016-07-19 14:10:47", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseTime("f", tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.True(t, tt.want.Equal(got), "%s: got %v", tt.in, got)
	}
}

func TestYuan_ExactTwoDecimals(t *testing.T) {
	s, err := yuan("pay", "Amount", money.Fen(1))
	assert.NoError(t, err)
	assert.Equal(t, "0.01", s)
	s, err = yuan("pay", "Amount", money.Fen(100_000_000_00))
	assert.NoError(t, err)
	assert.Equal(t, "100000000.00", s)
	_, err = yuan("pay", "Amount", money.Fen(0))
	assert.Error(t, err)
	a, err := parseYuan("x", "0.07")
	assert.NoError(t, err)
	assert.Equal(t, money.Fen(7), a)
	_, err = parseYuan("x", "0.001")
	assert.Error(t, err)
}

func TestNotifyFundChannels(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`[{"amount":"12.56","fundChannel":"ALIPAYACCOUNT"}]`, "ALIPAYACCOUNT", true},
		{` [ {"amount":"1.00","fundChannel":"PCREDIT"} , {"fundChannel":"ALIPAYACCOUNT","amount":"2.00"} ] `, "PCREDIT,ALIPAYACCOUNT", true},
		{`[]`, "", true},
		{`[{}]`, "", true},
		{`[{"fund_channel":"X"}]`, "", true},
		{`{"fundChannel":"X"}`, "", false},
		{`[{"fundChannel":1`, "", false},
		{`[{"fundChannel":"X"}] x`, "", false},
	}
	for _, tt := range tests {
		got, err := notifyFundChannels(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
